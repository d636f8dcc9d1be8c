"""The store a bench measures: the one --db names, else the demo datastore (200 image sets, seed 0) built afresh."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imageset_search.datastores.local.demo import build_demo
from imageset_search.datastores.local.store import LocalStore


@contextmanager
def demo_store(db: Path | None) -> Iterator[LocalStore]:
    with tempfile.TemporaryDirectory() as folder:
        path = db or Path(folder) / "demo.sqlite3"
        with LocalStore(path) as store:
            if db is None:
                build_demo(store, image_sets=200, seed=0)
            yield store
