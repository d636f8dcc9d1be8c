"""An import killed with SIGKILL part-way leaves a consistent store, and running it again completes it."""

import os
import signal
import subprocess
import sys

from imageset_search.datastores.local.demo import write_dicom_files
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore
from reliability import integrity

# Imports in small batches. Every file is read before the first batch is stored, so the child reports batches: after
# the third is stored it says so (the parent then kills it), and after the sixth it stops to wait, so the kill always
# lands while batches are being stored: inside a transaction or between two.
CHILD = """
import sys, time
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore

db, datastore_id, folder = sys.argv[1:4]
store = LocalStore(db)
add, batches = store.add_instances, []

def add_and_report(*args, **kwargs):
    result = add(*args, **kwargs)
    batches.append(result)
    if len(batches) == 3:
        print("three batches stored", flush=True)
    if len(batches) == 6:
        time.sleep(600)
    return result

store.add_instances = add_and_report
import_paths(store, datastore_id, [folder], batch_size=5)
print("finished", flush=True)
"""


def test_killed_import_leaves_whole_image_sets_and_a_rerun_completes_it(tmp_path):
    source = tmp_path / "dicom"
    files = write_dicom_files(source, 150, seed=11)
    uploads = integrity.uploads_of(files)
    db = tmp_path / "store.sqlite3"
    with LocalStore(db) as store:
        datastore_id = store.create_datastore("resumed")
        clean_id = store.create_datastore("clean")

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), datastore_id, str(source)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "three batches stored"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    assert integrity.file_problems(db) == []
    with LocalStore(db) as store:
        partial = integrity.contents(store, datastore_id)
        assert 0 < sum(len(held) for held, _ in partial.values()) < len(files)
        assert integrity.problems(store, datastore_id, uploads) == []  # whole uploads, agreeing study counts

        rerun = import_paths(store, datastore_id, [source], batch_size=5)
        import_paths(store, clean_id, [source])
        assert integrity.problems(store, datastore_id, uploads) == []
        complete, clean = integrity.contents(store, datastore_id), integrity.contents(store, clean_id)

    assert rerun.instances_added + rerun.duplicates == len(files)
    assert rerun.duplicates == sum(len(held) for held, _ in partial.values())
    versions = {key: (held, summary["version"]) for key, (held, summary) in complete.items()}
    assert versions == {key: (held, summary["version"]) for key, (held, summary) in clean.items()}
