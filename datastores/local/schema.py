"""The SQLite layout of the local datastore, and how a connection to it is opened.

One file holds several datastores. Image sets are rows with one column per searchable attribute and one index per
attribute followed by the default sort key (updatedAt) and the tie-breaker (image set id), so every EQUAL search is
an index range read in sort order; createdAt, updatedAt and the study date-and-time key each have their own
(datastore, key, id) index for range filters and sorting. Instances are append-only rows tagged with the version
that added them, and each version keeps its patient/study/series levels, so any version's metadata document can be
rebuilt exactly. The refinements SearchImageSets has no filter for (modality, body part, sex, birth date, patient
name, description) are columns too, carried by the sort indexes, with distinct names and descriptions stored once
(see refined.py). WAL mode lets searches read a consistent snapshot while an import writes.
"""

import json
import secrets
import sqlite3
from pathlib import Path

from imageset_search.datastores.errors import InternalServerException
from imageset_search.datastores.local.refined import register_functions, write_refinements

SCHEMA_VERSION = 4
BUSY_TIMEOUT_SECONDS = 60

# The refinement columns (refined.py fills them from the summary): upper-case modality and sex, folded body part,
# birth date, and the ids of the patient name and the study description (0: none), each stored once below.
REFINEMENT_COLUMNS = ("modality", "body_part", "patient_sex", "birth_date", "name_id", "description_id")

# The refinements' search structures (see refined.py): each distinct patient name once, with its index terms
# (matching.name_terms) for a prefix range per query word; each distinct folded study description once, in a
# trigram FTS5 index for "contains".
REFINEMENT_TABLES = """
CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE name_terms (term TEXT NOT NULL, name INTEGER NOT NULL, PRIMARY KEY (term, name)) WITHOUT ROWID;
CREATE TABLE descriptions (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE description_words USING fts5(
    text, content = 'descriptions', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
"""

TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE datastores (
    ds INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE image_sets (
    pk INTEGER PRIMARY KEY,
    ds INTEGER NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    is_primary INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    accession_number TEXT NOT NULL,
    study_id TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    study_dt TEXT NOT NULL,
    n_instances INTEGER NOT NULL,
    tags TEXT NOT NULL,
    modality TEXT NOT NULL DEFAULT '',
    body_part TEXT NOT NULL DEFAULT '',
    patient_sex TEXT NOT NULL DEFAULT '',
    birth_date TEXT NOT NULL DEFAULT '',
    name_id INTEGER NOT NULL DEFAULT 0,
    description_id INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE instances (
    image_set INTEGER NOT NULL,
    sop_uid TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (image_set, sop_uid)
) WITHOUT ROWID;
CREATE TABLE versions (
    image_set INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    levels TEXT NOT NULL,
    PRIMARY KEY (image_set, version)
) WITHOUT ROWID;
""" + REFINEMENT_TABLES

# Each sort index carries the other range-filterable columns and the refinement columns, so a wide filter or
# refinement is checked on index entries while the index is read in sort order (see plan.py).
CARRIED = "is_primary, modality, body_part, patient_sex, birth_date, name_id, description_id"
SORT_INDEXES = f"""
CREATE INDEX image_sets_by_updated ON image_sets (ds, updated_at, id, created_at, study_dt, {CARRIED});
CREATE INDEX image_sets_by_created ON image_sets (ds, created_at, id, updated_at, study_dt, {CARRIED});
CREATE INDEX image_sets_by_study_dt ON image_sets (ds, study_dt, id, updated_at, created_at, {CARRIED});
"""

# The sort indexes as schemas 2 and 3 had them (migration 1 creates them, migration 3 replaces them).
SORT_INDEXES_3 = """
CREATE INDEX image_sets_by_updated ON image_sets (ds, updated_at, id, created_at, study_dt, is_primary);
CREATE INDEX image_sets_by_created ON image_sets (ds, created_at, id, updated_at, study_dt, is_primary);
CREATE INDEX image_sets_by_study_dt ON image_sets (ds, study_dt, id, updated_at, created_at, is_primary);
"""

# Where a refinement matches few image sets, its own index lists them (plan.py counts them first); it carries the
# other columns a search checks, so those are read without table reads too.
REFINEMENT_INDEXED = {"modality": "modality", "body_part": "body_part", "birth_date": "birth_date", "name": "name_id",
                      "description": "description_id"}  # fmt: skip
REFINEMENT_INDEXES = "".join(
    f"CREATE INDEX image_sets_by_{name} ON image_sets (ds, {column}, updated_at, id, created_at, study_dt, "
    + ", ".join(carried for carried in CARRIED.split(", ") if carried != column)
    + ");\n"
    for name, column in REFINEMENT_INDEXED.items()
)

# The study index also carries what the study counts need, so a page's counts are read from the index alone.
STUDY_UID_INDEX = (
    "CREATE INDEX image_sets_by_study_uid ON image_sets (ds, study_uid, updated_at, id, is_primary, n_instances)"
)

INDEXES = SORT_INDEXES + """
CREATE UNIQUE INDEX image_sets_by_id ON image_sets (ds, id);
CREATE INDEX image_sets_by_patient ON image_sets (ds, patient_id, updated_at, id);
CREATE INDEX image_sets_by_accession ON image_sets (ds, accession_number, updated_at, id);
CREATE INDEX image_sets_by_study_id ON image_sets (ds, study_id, updated_at, id);
""" + STUDY_UID_INDEX + """;
CREATE INDEX image_sets_by_series ON image_sets (ds, series_uid, updated_at, id);
""" + REFINEMENT_INDEXES

# version -> the statements that bring a file of that version to the next one
MIGRATIONS = {
    1: "DROP INDEX image_sets_by_updated; DROP INDEX image_sets_by_created; DROP INDEX image_sets_by_study_dt;"
    + SORT_INDEXES_3,
    2: "DROP INDEX image_sets_by_study_uid; " + STUDY_UID_INDEX,
    3: lambda connection: _add_refinements(connection),
}


def connect(path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, waiting up to `busy_timeout` seconds for
    another writer rather than failing at once, with the name matching function the refinements' SQL calls. A file
    of a newer schema is refused before anything is set: switching it to WAL would already change the file this
    program must not touch."""
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        connection.close()
        raise _unreadable(version)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA cache_size = -65536")
    connection.execute("PRAGMA temp_store = MEMORY")
    register_functions(connection)
    return connection


def _unreadable(version: int) -> InternalServerException:
    return InternalServerException(
        f"The local datastore file has schema version {version}, but this program reads version "
        f"{SCHEMA_VERSION}: use the imageset-search-mcp release that wrote it, or point --db at another file"
    )


def ensure_schema(connection: sqlite3.Connection) -> None:
    """Create the tables of a new file, or check that an existing file has the layout this code reads.

    A current file is only read, so opening it never waits for another process's import; the write lock is taken
    only to create or migrate, and the version is read again under it (another process may have just done it)."""
    if connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            _create(connection)
        elif version in MIGRATIONS:
            _migrate(connection, version)
        elif version != SCHEMA_VERSION:
            raise _unreadable(version)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Bring an older file up to SCHEMA_VERSION, one step at a time, inside the caller's transaction."""
    while version < SCHEMA_VERSION:
        step = MIGRATIONS[version]
        if callable(step):
            step(connection)
        else:
            for statement in statements(step):
                connection.execute(statement)
        version += 1
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _add_refinements(connection: sqlite3.Connection) -> None:
    """Version 3 to 4: the refinement columns and search structures, filled from each image set's stored summary,
    and the sort indexes rebuilt to carry the new columns."""
    for column in REFINEMENT_COLUMNS:
        kind = "INTEGER NOT NULL DEFAULT 0" if column.endswith("_id") else "TEXT NOT NULL DEFAULT ''"
        connection.execute(f"ALTER TABLE image_sets ADD COLUMN {column} {kind}")
    old_sort_indexes = "".join(f"DROP INDEX image_sets_by_{key};" for key in ("updated", "created", "study_dt"))
    for statement in statements(REFINEMENT_TABLES + old_sort_indexes):
        connection.execute(statement)
    rows = connection.execute("SELECT pk, tags FROM image_sets").fetchall()
    write_refinements(connection, [(pk, json.loads(tags)) for pk, tags in rows])
    for statement in statements(SORT_INDEXES + REFINEMENT_INDEXES):
        connection.execute(statement)


def _create(connection: sqlite3.Connection) -> None:
    """Tables, indexes and the per-file secret that signs nextTokens (so tokens outlive the process)."""
    for statement in statements(TABLES + INDEXES):
        connection.execute(statement)
    connection.execute("INSERT INTO meta (key, value) VALUES ('token_secret', ?)", (secrets.token_bytes(32),))
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def statements(script: str) -> list[str]:
    """The statements of one of the DDL scripts above (they hold no semicolons inside statements)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def token_secret(connection: sqlite3.Connection) -> bytes:
    return connection.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()[0]
