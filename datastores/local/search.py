"""SearchImageSets over the image_sets table: one keyset page, in the requested order, ties broken by image set id.

The page is `WHERE <filters> AND <after the cursor> ORDER BY <sort key>, id LIMIT n+1` on the index plan.py picks:
the cursor is the last row's (sort key, id), so page 2,000 is read with the same index range seek as page 1 (no
OFFSET). Ties on the sort key are broken by imageSetId in the same direction as the sort, which lets one (datastore,
key, id) index serve both orders. The study counts in DICOMTags are computed for the page's studies when it is read,
over the primary image sets of each study (non-primary sets are conflicting copies of a series, so counting them
would count a series twice); a study with no primary image set has no counts in DICOMTags.
"""

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from imageset_search.datastores.criteria import Condition, Query
from imageset_search.datastores.instants import from_millis
from imageset_search.datastores.local.plan import Plan, choose_plan
from imageset_search.datastores.tokens import ID_BYTES, pack_id, unpack_id

PAGE_COLUMNS = "id, version, created_at, updated_at, is_primary, study_uid, tags"


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort key and id of its last image set."""

    sort_key: Any
    image_set_id: str


def read_page(
    connection: sqlite3.Connection, ds: int, query: Query, limit: int, after: Cursor | None
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """The summaries of one page, and the cursor of the next page if more image sets match."""
    rows = _page_rows(connection, ds, query, limit + 1, after, choose_plan(connection, ds, query))
    more = len(rows) > limit
    rows = rows[:limit]
    counts = _study_counts(connection, ds, {row[5] for row in rows if row[5]})
    summaries = [_summary(row, counts) for row in rows]
    next_cursor = Cursor(rows[-1][-1], rows[-1][0]) if more else None
    return summaries, next_cursor


def _page_rows(
    connection: sqlite3.Connection, ds: int, query: Query, limit: int, after: Cursor | None, plan: Plan
) -> list[tuple]:
    """Up to `limit` rows after the cursor; a budgeted plan that does not fill the page is read again its other way."""
    rows = connection.execute(*_page_sql(ds, query, limit, after, plan.index, plan.budget)).fetchall()
    if plan.fallback is None or len(rows) >= limit:
        return rows
    return connection.execute(*_page_sql(ds, query, limit, after, plan.fallback, None)).fetchall()


def _page_sql(
    ds: int, query: Query, limit: int, after: Cursor | None, index: str, budget: int | None
) -> tuple[str, list[Any]]:
    """The page's rows: the ids are picked on `index` alone (see plan.py), then only those rows are read whole.

    The ids are sought with the datastore, the sort-key bounds and the cursor, and filtered with the other
    conditions and the refinements' checks (on columns every sort index carries); with a `budget`, the seek reads
    at most that many index entries before the filter applies."""
    column = query.sort_column
    ascending = query.sort_order == "ASC"
    conditions = list(query.conditions)
    resume = after is not None
    if resume:
        conditions, resume = _start_at_cursor(conditions, column, ascending, after.sort_key)
    seek, seek_parameters = _filter_clauses([c for c in conditions if c.column == column])
    seek.insert(0, "ds = ?")
    seek_parameters.insert(0, ds)
    direction, beyond = ("ASC", ">") if ascending else ("DESC", "<")
    if resume:
        seek.append(f"{column} {beyond}= ?")
        seek_parameters.append(after.sort_key)
    if after is not None:
        seek.append(f"({column} {beyond} ? OR id {beyond} ?)")
        seek_parameters.extend([after.sort_key, after.image_set_id])
    own = [refinement for refinement in query.checks if refinement.index == index]  # sought on its own index
    seek += [refinement.where for refinement in own]
    seek_parameters += [value for refinement in own for value in refinement.parameters]
    others = [refinement for refinement in query.checks if refinement.index != index]
    checked = [c for c in conditions if c.column != column]
    check, check_parameters = _filter_clauses(checked)
    check += [refinement.where for refinement in others]
    check_parameters += [value for refinement in others for value in refinement.parameters]
    order = f"ORDER BY {column} {direction}, id {direction}"
    if budget is None:
        ids = f"SELECT pk FROM image_sets AS s INDEXED BY {index} WHERE {' AND '.join(seek + check)} {order} LIMIT ?"
    else:
        carried = {c.column for c in checked} | {refinement.column for refinement in others}
        needed = ", ".join(sorted({"pk", "id", column, *carried}))  # on the index: no table reads
        scanned = (
            f"SELECT {needed} FROM image_sets AS s INDEXED BY {index} WHERE {' AND '.join(seek)} {order} "
            f"LIMIT {int(budget)}"
        )
        # No ORDER BY outside: the subquery runs as a co-routine yielding rows in its order, so the first matches
        # are the page and the scan stops there (an outer ORDER BY would read the whole budget every time).
        ids = f"SELECT pk FROM ({scanned}) AS s WHERE {' AND '.join(check) or '1'} LIMIT ?"
    sql = f"SELECT {PAGE_COLUMNS}, {column} FROM image_sets WHERE pk IN ({ids}) {order}"
    return sql, [*seek_parameters, *check_parameters, limit]


def _filter_clauses(conditions: list[Condition]) -> tuple[list[str], list[Any]]:
    """WHERE terms (ANDed) and their parameters for each filter."""
    where: list[str] = []
    parameters: list[Any] = []
    for condition in conditions:
        if condition.low == condition.high:
            where.append(f"{condition.column} = ?")
            parameters.append(condition.low)
        else:
            where.append(f"{condition.column} BETWEEN ? AND ?")
            parameters.extend([condition.low, condition.high])
    return where, parameters


def _start_at_cursor(
    conditions: list[Condition], column: str, ascending: bool, key: Any
) -> tuple[list[Condition], bool]:
    """Move a range filter on the sort key to start at the cursor, so the index seek lands on the page's first row
    (two bounds on one column would leave SQLite to pick one of them). Returns the conditions and whether the
    cursor still needs its own bound (no range filter on the sort key to carry it)."""
    for position, condition in enumerate(conditions):
        if condition.column == column:
            if ascending:
                moved = Condition(column, max(condition.low, key), condition.high)
            else:
                moved = Condition(column, condition.low, min(condition.high, key))
            return [*conditions[:position], moved, *conditions[position + 1 :]], False
    return conditions, True


def _study_counts(connection: sqlite3.Connection, ds: int, study_uids: set[str]) -> dict[str, tuple[int, int]]:
    """Series and instance counts of each study, over its primary image sets."""
    if not study_uids:
        return {}
    marks = ", ".join("?" * len(study_uids))
    rows = connection.execute(
        f"SELECT study_uid, count(*), sum(n_instances) FROM image_sets "
        f"WHERE ds = ? AND study_uid IN ({marks}) AND is_primary = 1 GROUP BY study_uid",
        [ds, *study_uids],
    ).fetchall()
    return {uid: (series, instances) for uid, series, instances in rows}


def _summary(row: tuple, counts: dict[str, tuple[int, int]]) -> dict[str, Any]:
    image_set_id, version, created_at, updated_at, is_primary, study_uid, tags = row[:7]
    dicom_tags = json.loads(tags)
    if study_uid in counts:
        dicom_tags["DICOMNumberOfStudyRelatedSeries"] = counts[study_uid][0]
        dicom_tags["DICOMNumberOfStudyRelatedInstances"] = counts[study_uid][1]
    return {
        "imageSetId": image_set_id,
        "version": version,
        "createdAt": from_millis(created_at),
        "updatedAt": from_millis(updated_at),
        "storageTier": "FREQUENT_ACCESS",
        "isPrimary": bool(is_primary),
        "DICOMTags": dicom_tags,
    }


def pack_cursor(query: Query, cursor: Cursor) -> bytes:
    """The cursor in a few bytes: the sort key (8-byte milliseconds, or the 20-digit study key as 9 bytes, or
    nothing for an image set without a study date) followed by the packed id."""
    if query.sort_column == "study_dt":
        key = int(cursor.sort_key).to_bytes(9, "big") if cursor.sort_key else b""
    else:
        key = cursor.sort_key.to_bytes(8, "big", signed=True)
    return key + pack_id(cursor.image_set_id)


def unpack_cursor(query: Query, payload: bytes) -> Cursor:
    key_bytes, id_bytes = payload[:-ID_BYTES], payload[-ID_BYTES:]
    if query.sort_column == "study_dt":
        key: Any = str(int.from_bytes(key_bytes, "big")).rjust(20, "0") if key_bytes else ""
    else:
        key = int.from_bytes(key_bytes, "big", signed=True)
    return Cursor(key, unpack_id(id_bytes))
