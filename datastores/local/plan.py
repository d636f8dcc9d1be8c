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
Choices are explicit (INDEXED BY), so plans do not depend on table statistics.
"""

import sqlite3
from dataclasses import dataclass

from imageset_search.datastores.criteria import ID_COLUMNS, Condition, Query

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


def choose_plan(connection: sqlite3.Connection, ds: int, query: Query) -> Plan:
    """How the page's ids are read (see the module's docstring)."""
    for condition in query.conditions:
        if condition.column in ID_COLUMN_NAMES:
            return Plan(INDEXES[condition.column])
    sort_index = INDEXES[query.sort_column]
    ranged = [condition for condition in query.conditions if condition.column in INDEXES]
    if all(condition.column == query.sort_column for condition in ranged):
        return Plan(sort_index)
    ranges = [
        (_matches_up_to_limit(connection, ds, condition), condition.column != query.sort_column, condition.column)
        for condition in ranged
    ]
    count, off_sort_key, column = min(ranges)  # on a tie, a range on the sort key wins: it is read in order
    if not off_sort_key:
        return Plan(sort_index)
    if count < RANGE_SCAN_LIMIT:
        return Plan(INDEXES[column])
    return Plan(sort_index, SCAN_BUDGET, INDEXES[column])


def _matches_up_to_limit(connection: sqlite3.Connection, ds: int, condition: Condition) -> int:
    """How many image sets the condition matches, counted on its index alone and at most RANGE_SCAN_LIMIT."""
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM image_sets INDEXED BY {INDEXES[condition.column]} "
        f"WHERE ds = ? AND {condition.column} BETWEEN ? AND ? LIMIT ?)",
        (ds, condition.low, condition.high, RANGE_SCAN_LIMIT),
    ).fetchone()
    return row[0]
