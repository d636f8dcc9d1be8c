"""The store a bench measures: the one --db names, else the demo datastore (200 image sets, seed 0, its "today"
pinned, so every run measures the same data and the model trial's requests name what it holds) built afresh."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from imageset_search.datastores.local.demo import build_demo
from imageset_search.datastores.local.store import LocalStore

DEMO_TODAY = date(2026, 12, 1)  # as bench/model_trials/README.md builds the trial store


@contextmanager
def demo_store(db: Path | None) -> Iterator[LocalStore]:
    with tempfile.TemporaryDirectory() as folder:
        path = db or Path(folder) / "demo.sqlite3"
        with LocalStore(path) as store:
            if db is None:
                build_demo(store, image_sets=200, seed=0, today=DEMO_TODAY)
            yield store
