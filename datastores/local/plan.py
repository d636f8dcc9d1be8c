"""Which index one page of a search reads, chosen so every query shape costs about the same at any size or depth.

An EQUAL on an ID attribute reads that attribute's index (a patient, a study or a series has few image sets). Else a
range filter on another column than the sort key is either narrow, and then its own index finds every match and
the page sorts them (at most RANGE_SCAN_LIMIT rows), or wide, and then the sort key's index is read in order and the
filter is checked on the index entries themselves (the sort indexes carry every range-filterable column), which
finds a page after reading at most about 50 x N / RANGE_SCAN_LIMIT entries. Which case holds is counted on the
range's index, stopping at the limit. The choice is explicit (INDEXED BY), so plans do not depend on statistics.
"""

import sqlite3

from imageset_search.datastores.local.criteria import ID_COLUMNS, Condition, Query

RANGE_SCAN_LIMIT = 3000
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


def choose_index(connection: sqlite3.Connection, ds: int, query: Query) -> str:
    """The name of the index the page's ids are read from."""
    for condition in query.conditions:
        if condition.column in ID_COLUMN_NAMES:
            return INDEXES[condition.column]
    best_count, best_index = RANGE_SCAN_LIMIT, INDEXES[query.sort_column]
    for condition in query.conditions:
        if condition.column in INDEXES and condition.column != query.sort_column:
            count = _matches_up_to_limit(connection, ds, condition)
            if count < best_count:
                best_count, best_index = count, INDEXES[condition.column]
    return best_index


def _matches_up_to_limit(connection: sqlite3.Connection, ds: int, condition: Condition) -> int:
    """How many image sets the condition matches, counted on its index alone and at most RANGE_SCAN_LIMIT."""
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM image_sets INDEXED BY {INDEXES[condition.column]} "
        f"WHERE ds = ? AND {condition.column} BETWEEN ? AND ? LIMIT ?)",
        (ds, condition.low, condition.high, RANGE_SCAN_LIMIT),
    ).fetchone()
    return row[0]
