"""Which index one page of a search reads, chosen so every query shape stays cheap at any size or depth.

- An EQUAL on an ID attribute reads that attribute's index (a patient, a study or a series has few image sets).
- With no range filter on another column than the sort key, the sort key's index is read in order (from the
  cursor, within its range if it has one). Else each range filter is counted on its own index, stopping at
  RANGE_SCAN_LIMIT; when the narrowest is on the sort key itself, its index is read in order too.
- Otherwise a narrow range (under the limit) reads its own index and the page sorts its matches (index entries
  only: the sort indexes carry every sort key).
  A wide one first reads the sort key's index in order, checking the filter on the index entries, for at most
  SCAN_BUDGET entries: enough when the matches are spread over the sort order; when they sit far along it (a
  createdAt range from years ago, sorted by updatedAt), the page is read from the range's own index instead.
- A refinement (refined.py) with its own index counts as a range does: a narrow one reads its index and the page
  sorts the matches; a wide one is checked on the sort index's entries (which carry every refinement column) while
  it is read in order. When a date range and a refinement are both wide, the range is the fallback: its index
  carries the refinement columns, so it is checked without table reads. A refinement of one value (a modality, a
  body part) with a wide range off the sort key and the default sort reads its own index in updatedAt order first,
  as an ID attribute's index is read.
Choices are explicit (INDEXED BY), so plans do not depend on table statistics.
"""

import sqlite3
from dataclasses import dataclass

from imageset_search.datastores.criteria import ID_COLUMNS, Condition, Query
from imageset_search.datastores.local.refined import Check

RANGE_SCAN_LIMIT = 10_000
SCAN_BUDGET = 20_000
INDEXES = {
    "updated_at": "image_sets_by_updated",
    "created_at": "image_sets_by_created",
    "study_dt": "image_sets_by_study_dt",
    "patient_id": "image_sets_by_patient",
    "accession_number": "image_sets_by_accession",
    "study_id": "image_sets_by_study_id",
    "study_uid": "image_sets_by_study_uid",
    "series_uid": "image_sets_by_series",
}
ID_COLUMN_NAMES = set(ID_COLUMNS.values())


@dataclass(frozen=True)
class Plan:
    index: str  # the index the page's ids are read from
    budget: int | None = None  # read at most this many entries of `index` ...
    fallback: str | None = None  # ... and if they do not fill the page, read it from this index instead


@dataclass(frozen=True)
class _Way:
    """One index a query's matches can be read from, and how many it would read (up to RANGE_SCAN_LIMIT)."""

    count: int
    off_sort_key: bool  # False: a range on the sort key itself, read in order
    name: str  # the column or refinement kind: breaks ties the same way every time
    index: str


def choose_plan(connection: sqlite3.Connection, ds: int, query: Query) -> Plan:
    """How the page's ids are read (see the module's docstring)."""
    for condition in query.conditions:
        if condition.column in ID_COLUMN_NAMES:
            return Plan(INDEXES[condition.column])
    sort_index = INDEXES[query.sort_column]
    ranged = [condition for condition in query.conditions if condition.column in INDEXES]
    indexed = [check for check in query.checks if check.index is not None]
    if not indexed and all(condition.column == query.sort_column for condition in ranged):
        return Plan(sort_index)
    ways = [
        _Way(_matches_up_to_limit(connection, ds, c), c.column != query.sort_column, c.column, INDEXES[c.column])
        for c in ranged
    ] + [_Way(_checked_up_to_limit(connection, ds, check), True, check.kind, check.index) for check in indexed]
    # On a tie: the sort key (read in order), then a date range (its index carries every column a check reads)
    best = min(ways, key=lambda way: (way.count, way.off_sort_key, way.name not in INDEXES, way.name))
    if not best.off_sort_key:
        return Plan(sort_index)
    if best.count < RANGE_SCAN_LIMIT:
        return Plan(best.index)
    in_order = [check for check in indexed if check.in_order and query.sort_column == "updated_at"]
    if in_order and any(condition.column != query.sort_column for condition in ranged):
        return Plan(in_order[0].index, SCAN_BUDGET, best.index)  # the refinement's own index, read in order
    if query.checks and best.name in INDEXES:  # the range's index carries what the checks read: scan less first
        return Plan(sort_index, SCAN_BUDGET // 4, best.index)
    return Plan(sort_index, SCAN_BUDGET, best.index)


def _matches_up_to_limit(connection: sqlite3.Connection, ds: int, condition: Condition) -> int:
    """How many image sets the condition matches, counted on its index alone and at most RANGE_SCAN_LIMIT."""
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM image_sets INDEXED BY {INDEXES[condition.column]} "
        f"WHERE ds = ? AND {condition.column} BETWEEN ? AND ? LIMIT ?)",
        (ds, condition.low, condition.high, RANGE_SCAN_LIMIT),
    ).fetchone()
    return row[0]


def _checked_up_to_limit(connection: sqlite3.Connection, ds: int, check: Check) -> int:
    """How many image sets a refinement matches, counted on its own index and at most RANGE_SCAN_LIMIT."""
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM image_sets AS s INDEXED BY {check.index} "
        f"WHERE s.ds = ? AND {check.where} LIMIT ?)",
        (ds, *check.parameters, RANGE_SCAN_LIMIT),
    ).fetchone()
    return row[0]
