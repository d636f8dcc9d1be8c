"""What a consistent local datastore looks like from outside: whole uploads only, counts that agree, a sound file.

An upload (one folder of `write_dicom_files`, one series sent at one time) reaches the store in one transaction, so
at any moment an image set holds each upload wholly or not at all. The study counts in each summary must equal what
the metadata documents of the study's primary image sets hold, every image set's metadata must be readable, and the
store's own count of image sets must match what a search walk finds (each walked key once).
"""

import gzip
import hashlib
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

from mcp_helpers import store_summaries

from imageset_search.datastores.local.importer import read_instance


def uploads_of(files: list[Path]) -> dict[Path, frozenset[str]]:
    """Folder -> the SOP Instance UIDs of its files: the units an import stores whole."""
    found: dict[Path, set[str]] = defaultdict(set)
    for path in files:
        found[path.parent].add(read_instance(path).sop_instance_uid)
    return {folder: frozenset(uids) for folder, uids in found.items()}


def summaries(store, datastore_id: str) -> list[dict]:
    return store_summaries(store, datastore_id=datastore_id)


def instances(store, datastore_id: str, summary: dict) -> frozenset[str]:
    """The SOP Instance UIDs the image set's metadata document lists (the version the summary names)."""
    blob = store.get_image_set_metadata(datastore_id, summary["imageSetId"], str(summary["version"]))
    [series] = json.loads(gzip.decompress(blob))["Study"]["Series"].values()
    return frozenset(series["Instances"])


def contents(store, datastore_id: str) -> dict[tuple, tuple[frozenset[str], dict]]:
    """(SeriesInstanceUID, isPrimary, AccessionNumber) -> (the image set's instances, its summary)."""
    found = {}
    for summary in summaries(store, datastore_id):
        tags = summary["DICOMTags"]
        key = (tags["DICOMSeriesInstanceUID"], summary["isPrimary"], tags.get("DICOMAccessionNumber"))
        found[key] = (instances(store, datastore_id, summary), summary)
    return found


def half_uploads(held: frozenset[str], uploads: dict[Path, frozenset[str]]) -> list[str]:
    """The uploads an image set holds only part of (by folder name: no patient data in the message)."""
    return [folder.name for folder, uids in uploads.items() if held & uids and not uids <= held]


def problems(store, datastore_id: str, uploads: dict[Path, frozenset[str]]) -> list[str]:
    """Everything inconsistent about the datastore; empty when it is sound."""
    found = []
    stored = contents(store, datastore_id)
    for (series, primary, _), (held, _summary) in stored.items():
        for folder in half_uploads(held, uploads):
            found.append(f"image set of series #{_short(series)} (primary={primary}) holds part of upload {folder}")
    found += study_count_problems(stored)
    counted = store.count_image_sets(datastore_id)
    if counted != len(stored):
        found.append(f"the store counts {counted} image sets, its search walk finds {len(stored)}")
    return found


def study_count_problems(stored) -> list[str]:
    series_of, instances_of = defaultdict(int), defaultdict(int)
    for held, summary in stored.values():
        if summary["isPrimary"]:
            study = summary["DICOMTags"]["DICOMStudyInstanceUID"]
            series_of[study] += 1
            instances_of[study] += len(held)
    found = []
    for _held, summary in stored.values():
        tags = summary["DICOMTags"]
        study = tags["DICOMStudyInstanceUID"]
        counted = (tags.get("DICOMNumberOfStudyRelatedSeries"), tags.get("DICOMNumberOfStudyRelatedInstances"))
        held = (series_of[study], instances_of[study])
        if counted != held:
            found.append(f"study #{_short(study)} counts {counted}, its image sets hold {held}")
    return found


def file_problems(path: Path) -> list[str]:
    """SQLite's own check of the file (pages, indexes), read-only."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    connection.close()
    return [] if verdict == ["ok"] else verdict


def _short(uid: str) -> str:
    """A stable, non-identifying handle for a UID in messages."""
    return hashlib.blake2b(uid.encode(), digest_size=4).hexdigest()
