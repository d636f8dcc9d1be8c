"""An import killed with SIGKILL at 20 seeded-random moments: each time the store is sound, and a rerun completes it.

Each moment is its own datastore in one SQLite file, imported by a child process from the same DICOM folders. The
child reports each file read and each batch stored; the parent kills it at a randomly chosen share of the files read
or of the batches stored, plus a random fraction of a step's time, so the kills land while it reads files, inside a
transaction, or between them. After each kill the file passes SQLite's integrity check, every image set holds whole
uploads and study counts agree; rerunning the import in-process then stores exactly what a clean import stores,
versions included.
"""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from imageset_search.datastores.local.demo import write_dicom_files
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore
from reliability import integrity

pytestmark = pytest.mark.slow

MOMENTS = 20
FILES = 48
CHILD = """
import sys, time
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore

db, datastore_id, folder = sys.argv[1:4]
store = LocalStore(db)
add = store.add_instances

def progress(done, total):
    print("read", flush=True)
    time.sleep(0.003)  # a window for the kill to land in after each report

def add_and_report(*args, **kwargs):
    result = add(*args, **kwargs)
    print("stored", flush=True)
    time.sleep(0.003)
    return result

store.add_instances = add_and_report
import_paths(store, datastore_id, [folder], batch_size=4, progress=progress)
print("finished", flush=True)
time.sleep(600)
"""


def comparable(stored) -> dict:
    """What must match a clean import: each image set's instances and version, by series, primary and accession."""
    return {key: (held, summary["version"]) for key, (held, summary) in stored.items()}


def kill_after(db, datastore_id: str, source, step: str, count: int, extra: float) -> None:
    """Start the child import and kill it once it has reported `count` steps of the kind `step` ("read": a file
    read, "stored": a batch stored), and `extra` seconds."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), datastore_id, str(source)], stdout=subprocess.PIPE, text=True
    )
    try:
        seen = 0
        for line in child.stdout:
            seen += line.strip() == step
            if line.startswith("finished") or seen >= count:
                break
        time.sleep(extra)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dicom")
    files = write_dicom_files(folder, FILES, seed=21)
    return folder, integrity.uploads_of(files)


def test_twenty_kills_leave_a_sound_store_and_each_rerun_completes_the_import(tmp_path, source):
    folder, uploads = source
    db = tmp_path / "store.sqlite3"
    with LocalStore(db) as store:
        clean_id = store.create_datastore("clean")
        batches = []
        add = store.add_instances
        store.add_instances = lambda *args, **kwargs: batches.append(1) or add(*args, **kwargs)
        import_paths(store, clean_id, [folder], batch_size=4)
        clean = comparable(integrity.contents(store, clean_id))
        ids = [store.create_datastore(f"killed-{moment}") for moment in range(MOMENTS)]
    chooser = random.Random(20)
    partial_sizes = []
    for moment, datastore_id in enumerate(ids):
        step, steps = ("read", FILES + 1) if moment % 2 else ("stored", len(batches))  # files are read, then stored
        share = chooser.random()
        kill_after(db, datastore_id, folder, step, int(share * steps), chooser.uniform(0, 0.004))
        assert integrity.file_problems(db) == [], f"moment {moment}"
        with LocalStore(db) as store:
            assert integrity.problems(store, datastore_id, uploads) == [], f"moment {moment} (at {share:.0%})"
            before = sum(len(held) for held, _ in integrity.contents(store, datastore_id).values())
            rerun = import_paths(store, datastore_id, [folder], batch_size=4)
            assert integrity.problems(store, datastore_id, uploads) == [], f"moment {moment}, rerun"
            assert comparable(integrity.contents(store, datastore_id)) == clean, f"moment {moment}, rerun"
        assert (rerun.duplicates, rerun.instances_added) == (before, FILES - before), f"moment {moment}"
        partial_sizes.append(before)
    assert min(partial_sizes) < FILES // 4 and max(partial_sizes) > FILES // 2, partial_sizes  # kills spread out
