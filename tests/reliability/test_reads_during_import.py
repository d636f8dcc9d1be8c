"""Searches and metadata reads while another process imports: none fails, none sees half an upload.

A child process imports DICOM folders into the store in small batches. Meanwhile a thread here walks every search
page and reads each image set's metadata at the version the search named, and the MCP tools search and read metadata
through a real in-memory client. Every image set read must hold whole uploads, the summaries of one page (one
snapshot) must agree about their study's counts, and no call may fail.
"""

import subprocess
import sys
import threading
from collections import defaultdict

import pytest
from mcp_helpers import call, session

from imageset_search.datastores.local.demo import write_dicom_files
from imageset_search.datastores.local.store import LocalStore
from reliability import integrity

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FILES = 150
CHILD = """
import sys, time
from imageset_search.datastores.local.importer import import_paths
from imageset_search.datastores.local.store import LocalStore

db, datastore_id, folder = sys.argv[1:4]
store = LocalStore(db)
add = store.add_instances
store.add_instances = lambda *args, **kwargs: time.sleep(0.02) or add(*args, **kwargs)  # slow, so reads overlap it
import_paths(store, datastore_id, [folder], batch_size=3)
"""


def page_disagreements(page: dict) -> list[str]:
    """Image sets of one study in one page must state the same study counts: they were read in one snapshot."""
    counts = defaultdict(set)
    for summary in page["imageSetsMetadataSummaries"]:
        tags = summary["DICOMTags"]
        counts[tags["DICOMStudyInstanceUID"]].add(
            (tags.get("DICOMNumberOfStudyRelatedSeries"), tags.get("DICOMNumberOfStudyRelatedInstances"))
        )
    return [f"one page states {len(seen)} different counts for a study" for seen in counts.values() if len(seen) > 1]


class Reader(threading.Thread):
    """Walks the datastore over and over until told to stop, noting every failure and inconsistency."""

    def __init__(self, store, datastore_id, uploads):
        super().__init__(daemon=True)
        self.store, self.datastore_id, self.uploads = store, datastore_id, uploads
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.sizes_seen: set[int] = set()
        self.walks = 0

    def run(self):
        while not self.stop.is_set():
            try:
                self.walk()
            except Exception as exc:  # a failed read is the finding: keep its kind, go on reading
                self.problems.append(f"read failed: {type(exc).__name__}: {exc}")

    def walk(self):
        token, seen = None, 0
        while True:
            page = self.store.search_image_sets(self.datastore_id, None, max_results=7, next_token=token)
            self.problems += page_disagreements(page)
            for summary in page["imageSetsMetadataSummaries"]:
                held = integrity.instances(self.store, self.datastore_id, summary)
                self.problems += [f"half upload {folder}" for folder in integrity.half_uploads(held, self.uploads)]
                seen += len(held)
            token = page.get("nextToken")
            if not token:
                break
        self.sizes_seen.add(seen)
        self.walks += 1


async def tool_reads(client, datastore_id: str) -> tuple[list[str], int]:
    """A search through the MCP tool, then the metadata tool on its first image set: (refusal texts, reads made)."""
    content, text, is_error = await call(client, {"datastore_id": datastore_id, "max_items": 20, "detail": "full"})
    if is_error:
        return [text], 0
    for item in content["image_sets"][:1]:
        arguments = {"datastore_id": datastore_id, "image_set_id": item["imageSetId"], "version": item["version"]}
        _, text, is_error = await call(client, arguments, tool="get_image_set_metadata")
        return ([text] if is_error else []), 1
    return [], 0


async def test_reads_during_an_import_never_fail_and_never_see_half_an_upload(tmp_path):
    files = write_dicom_files(tmp_path / "dicom", FILES, seed=31)
    uploads = integrity.uploads_of(files)
    db = tmp_path / "store.sqlite3"
    with LocalStore(db) as store:
        datastore_id = store.create_datastore("busy")
        reader = Reader(store, datastore_id, uploads)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), datastore_id, str(tmp_path / "dicom")])
        reader.start()
        tool_failures, metadata_reads = [], 0
        try:
            async with session(store) as client:
                while child.poll() is None:
                    failures, reads = await tool_reads(client, datastore_id)
                    tool_failures, metadata_reads = tool_failures + failures, metadata_reads + reads
        finally:
            reader.stop.set()
            reader.join(30)
            child.kill()
            child.wait()
        final = sum(len(held) for held, _ in integrity.contents(store, datastore_id).values())
    assert reader.problems == [] and tool_failures == []
    assert final == FILES
    assert len(reader.sizes_seen - {0, FILES}) >= 2 and metadata_reads > 3, "the reads did not overlap the import"
