"""An import killed with SIGKILL part-way leaves a consistent store, and running it again completes it."""

import gzip
import json
import os
import signal
import subprocess
import sys
from collections import defaultdict

from imageset_search.datastores.local.demo import write_dicom_files
from imageset_search.datastores.local.importer import import_paths, read_instance
from imageset_search.datastores.local.store import LocalStore

# Imports in small batches; a third of the way in it says so (the parent then kills it), and two thirds of the way
# in it stops to wait, so the kill always lands before the end: while it reads, or inside a transaction.
CHILD = """
import sys, time
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore

db, datastore_id, folder = sys.argv[1:4]

def progress(done, total):
    if done == total // 3:
        print("a third done", flush=True)
    if done == 2 * total // 3:
        time.sleep(600)

import_paths(LocalStore(db), datastore_id, [folder], batch_size=7, progress=progress)
print("finished", flush=True)
"""


def stored_instances(store, datastore_id):
    """(SeriesInstanceUID, isPrimary, AccessionNumber) -> the SOP UIDs of that image set, and its summary."""
    contents, summaries, token = {}, [], None
    while True:
        page = store.search_image_sets(datastore_id, next_token=token)
        summaries += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            break
    for summary in summaries:
        document = json.loads(gzip.decompress(store.get_image_set_metadata(datastore_id, summary["imageSetId"])))
        [(series_uid, series)] = document["Study"]["Series"].items()
        key = (series_uid, summary["isPrimary"], summary["DICOMTags"].get("DICOMAccessionNumber"))
        contents[key] = (frozenset(series["Instances"]), summary)
    return contents


def test_killed_import_leaves_whole_image_sets_and_a_rerun_completes_it(tmp_path):
    source = tmp_path / "dicom"
    files = write_dicom_files(source, 240, seed=11)
    by_folder = defaultdict(set)  # the files of one folder are one series' upload: never split by a batch
    for path in files:
        by_folder[path.parent].add(read_instance(path).sop_instance_uid)
    db = tmp_path / "store.sqlite3"
    with LocalStore(db) as store:
        datastore_id = store.create_datastore("resumed")
        clean_id = store.create_datastore("clean")

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), datastore_id, str(source)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "a third done"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with LocalStore(db) as store:
        partial = stored_instances(store, datastore_id)
        assert 0 < sum(len(sops) for sops, _ in partial.values()) < len(files)
        for sops, _summary in partial.values():  # each image set holds whole uploads only
            assert all(sops >= uploaded or not sops & uploaded for uploaded in by_folder.values())
        assert_study_counts_match_documents(partial)

        rerun = import_paths(store, datastore_id, [source], batch_size=7)
        import_paths(store, clean_id, [source])
        complete = stored_instances(store, datastore_id)
        clean = stored_instances(store, clean_id)

    assert rerun.instances_added + rerun.duplicates == len(files)
    assert rerun.duplicates == sum(len(sops) for sops, _ in partial.values())
    assert {key: sops for key, (sops, _) in complete.items()} == {key: sops for key, (sops, _) in clean.items()}
    assert_study_counts_match_documents(complete)


def assert_study_counts_match_documents(contents):
    """Each summary's study counts equal what the metadata documents of the study's primary image sets hold."""
    series_of, instances_of = defaultdict(int), defaultdict(int)
    for sops, summary in contents.values():
        if summary["isPrimary"]:
            study = summary["DICOMTags"]["DICOMStudyInstanceUID"]
            series_of[study] += 1
            instances_of[study] += len(sops)
    for _sops, summary in contents.values():
        tags = summary["DICOMTags"]
        assert tags["DICOMNumberOfStudyRelatedSeries"] == series_of[tags["DICOMStudyInstanceUID"]]
        assert tags["DICOMNumberOfStudyRelatedInstances"] == instances_of[tags["DICOMStudyInstanceUID"]]
