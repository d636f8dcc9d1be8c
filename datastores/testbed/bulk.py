"""Load many ready-made image sets straight into a store, for benchmarks at a million image sets.

The importer files DICOM instances one batch at a time, which is right for real data and far too slow to build a
benchmark store. This loader takes image sets already grouped (summary tags, timestamps, instance count) and writes
them with executemany in one transaction, with one version row per version so GetImageSet works. It stores no
instance documents: the benchmark measures search, and a bulk image set's metadata document lists no instances.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from imageset_search.datastores.local.schema import INDEXES, statements
from imageset_search.datastores.local.summary import indexed_columns

EMPTY_LEVELS = json.dumps({"Patient": {}, "Study": {}, "Series": {}})


@dataclass(frozen=True)
class BulkImageSet:
    image_set_id: str
    created_at: int  # UTC milliseconds
    updated_at: int
    version: int
    is_primary: bool
    n_instances: int
    tags: dict[str, Any]  # DICOMTags without the study counts; empty values left out


def load_image_sets(store, datastore_id: str, image_sets: Iterable[BulkImageSet], batch_size: int = 100_000) -> int:
    """Write the image sets into the datastore in ONE transaction; returns how many were written.

    The image set indexes are dropped and rebuilt inside that transaction: building an index from sorted rows is
    many times faster than a million random inserts into nine indexes. Readers keep their snapshot (indexes
    included) until it commits; other writers wait.
    """
    written = 0
    with store._writing() as connection:
        ds = store._ds(connection, datastore_id)
        for name in _image_set_indexes(connection):
            connection.execute(f"DROP INDEX {name}")
        for batch in _batches(iter(image_sets), batch_size):
            _insert(connection, ds, batch)
            written += len(batch)
        for statement in statements(INDEXES):
            connection.execute(statement)
    return written


def _image_set_indexes(connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'image_sets' AND sql IS NOT NULL"
    ).fetchall()
    return [name for (name,) in rows]


def _insert(connection, ds: int, batch: list[BulkImageSet]) -> None:
    start = connection.execute("SELECT coalesce(max(pk), 0) + 1 FROM image_sets").fetchone()[0]
    connection.executemany(
        "INSERT INTO image_sets (pk, ds, id, version, created_at, updated_at, is_primary, patient_id, "
        "accession_number, study_id, study_uid, series_uid, study_dt, n_instances, tags) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (_row(start + offset, ds, item) for offset, item in enumerate(batch)),
    )
    connection.executemany(
        "INSERT INTO versions (image_set, version, updated_at, levels) VALUES (?, ?, ?, ?)",
        _version_rows(start, batch),
    )


def _batches(items: Iterator[BulkImageSet], size: int) -> Iterator[list[BulkImageSet]]:
    while batch := list(islice(items, size)):
        yield batch


def _row(pk: int, ds: int, item: BulkImageSet) -> tuple:
    tags = item.tags
    return (
        pk,
        ds,
        item.image_set_id,
        item.version,
        item.created_at,
        item.updated_at,
        int(item.is_primary),
        *indexed_columns(tags),
        item.n_instances,
        json.dumps(tags, separators=(",", ":")),
    )


def _version_rows(start: int, batch: list[BulkImageSet]) -> Iterator[tuple]:
    """Versions 1..n of each image set: the first at createdAt, the last at updatedAt."""
    for offset, item in enumerate(batch):
        for version in range(1, item.version + 1):
            at = item.updated_at if version == item.version else item.created_at
            yield (start + offset, version, at, EMPTY_LEVELS)
