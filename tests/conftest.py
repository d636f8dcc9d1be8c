"""Shared fixtures: one demo datastore per test session, built through the real DICOM path.

Nothing may depend on the day the tests run: every demo store is built as of DEMO_TODAY, and the MCP servers of the
tests read loose dates ("last year") as of DEMO_NOW, noon of that day, after every timestamp the demo holds.
"""

import os
from datetime import UTC, date, datetime
from pathlib import Path

# boto3's botocore is imported before any test imports awscli: importing anything from awscli installs an import hook
# that makes a later first `import botocore` load awscli's vendored copy, which sends timestamps without their
# milliseconds, so every boto3 test after it would run on another botocore than users have.
import botocore  # noqa: F401
import pytest

DEMO_DATASTORE_ID = "12345678901234567890123456789012"
DOCUMENTED_IMAGE_SET_ID = "09876543210987654321098765432109"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "search-criteria"
DEMO_TODAY = date(2026, 6, 1)
DEMO_NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def private_config_folder(tmp_path_factory):
    """The AWS backend keeps its token secret in the user's config folder: tests (and the servers they start) keep
    theirs in a folder of their own, never in the developer's home."""
    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    yield
    if before is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = before


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The SQLite file of a 200-image-set demo datastore (seed 0, as of DEMO_TODAY); tests only read it."""
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with LocalStore(path) as store:
        build_demo(store, image_sets=200, seed=0, today=DEMO_TODAY)
    return path


@pytest.fixture(scope="session")
def demo_store(demo_db):
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(demo_db) as store:
        yield store


@pytest.fixture
def anyio_backend():
    return "asyncio"
