"""The refinements in SQLite: what is stored for them when an image set is written, and how each one is searched.

Each image set row carries its refinement columns (schema.REFINEMENT_COLUMNS): modality and sex upper-case, body
part folded (`matching.text_key`), birth date, and the ids of its patient name and its folded study description,
each distinct value stored once (a patient's name is shared by all their image sets, a description by many). The
sort indexes carry all of them, so every refinement is checked on index entries while a page is read in order, and
each has its own index for the values that match few image sets (plan.py chooses). A name query is matched against
the distinct names only, by `datastores.matching`'s own rules: its index terms find a word by prefix ranges, and
`matching.name_matches` decides where several words must share one `=` group, so the local search matches exactly
as the server's check on a summary does. A description query is found among the distinct folded descriptions by
the trigram FTS5 index (three characters or more) or by instr: `matching.text_contains`'s rule, the folded query
inside the folded description.
"""

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from imageset_search.datastores import capabilities as caps
from imageset_search.datastores import matching
from imageset_search.datastores.criteria import Query, parse_more_filters
from imageset_search.datastores.validation import invalid

CAPABILITIES: caps.Capabilities = {
    caps.MODALITY: caps.Capability(caps.ANY_OF, caps.EXACT),
    caps.BODY_PART: caps.Capability(caps.EQUAL, caps.EXACT),
    caps.PATIENT_NAME: caps.Capability(caps.WORDS, caps.EXACT),
    caps.STUDY_DESCRIPTION: caps.Capability(caps.CONTAINS, caps.EXACT),
    caps.PATIENT_SEX: caps.Capability(caps.EQUAL, caps.EXACT),
    caps.PATIENT_BIRTH_DATE: caps.Capability(caps.RANGE, caps.EXACT),
    caps.EXTRA_FILTERS: caps.Capability(caps.EQUAL, caps.EXACT),
}
TRIGRAM = 3  # the FTS5 trigram table finds texts of at least this many characters
NAME_MATCHES = "refined_name_matches"  # the SQL name of matching.name_matches


# -- writing --------------------------------------------------------------------------------------------------------


def write_refinements(connection: sqlite3.Connection, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Set the refinement columns of these (pk, summary) image sets."""
    connection.executemany(
        "UPDATE image_sets SET modality = ?, body_part = ?, patient_sex = ?, birth_date = ?, name_id = ?, "
        "description_id = ? WHERE pk = ?",
        [(*refinement_columns(connection, tags), pk) for pk, tags in rows],
    )


def refinement_columns(connection: sqlite3.Connection, tags: dict[str, Any]) -> tuple:
    """The values of schema.REFINEMENT_COLUMNS for a DICOMTags summary (storing a name or description seen first)."""
    return (
        str(tags.get("DICOMSeriesModality") or "").upper(),
        matching.text_key(tags.get("DICOMSeriesBodyPart")),
        str(tags.get("DICOMPatientSex") or "").upper(),
        str(tags.get("DICOMPatientBirthDate") or ""),
        _name_id(connection, str(tags.get("DICOMPatientName") or "")),
        _description_id(connection, matching.text_key(tags.get("DICOMStudyDescription"))),
    )


def _name_id(connection: sqlite3.Connection, name: str) -> int:
    """The id of a patient name (0: none), stored with its index terms the first time it is seen."""
    name_id, new = _stored_once(connection, "names", "name", name)
    if new:
        terms = [(term, name_id) for term in matching.name_terms(name)]
        connection.executemany("INSERT INTO name_terms (term, name) VALUES (?, ?)", terms)
    return name_id


def _description_id(connection: sqlite3.Connection, text: str) -> int:
    """The id of a folded description (0: none), stored in the trigram index the first time it is seen."""
    description_id, new = _stored_once(connection, "descriptions", "text", text)
    if new:
        connection.execute("INSERT INTO description_words (rowid, text) VALUES (?, ?)", (description_id, text))
    return description_id


def _stored_once(connection: sqlite3.Connection, table: str, column: str, value: str) -> tuple[int, bool]:
    """The id of a value in one of the tables of distinct values (0 for an empty one), and whether it is new."""
    if not value:
        return 0, False
    row = connection.execute(f"SELECT id FROM {table} WHERE {column} = ?", (value,)).fetchone()
    if row:
        return row[0], False
    return connection.execute(f"INSERT INTO {table} ({column}) VALUES (?)", (value,)).lastrowid, True


def forget_unused(connection: sqlite3.Connection) -> None:
    """Drop the names and descriptions no image set uses any more (after a datastore is deleted)."""
    connection.execute("DELETE FROM name_terms WHERE name NOT IN (SELECT name_id FROM image_sets)")
    connection.execute("DELETE FROM names WHERE id NOT IN (SELECT name_id FROM image_sets)")
    unused = connection.execute(
        "SELECT id, text FROM descriptions WHERE id NOT IN (SELECT description_id FROM image_sets)"
    ).fetchall()
    connection.executemany(
        "INSERT INTO description_words (description_words, rowid, text) VALUES ('delete', ?, ?)", unused
    )
    connection.executemany("DELETE FROM descriptions WHERE id = ?", [(row[0],) for row in unused])


def register_functions(connection: sqlite3.Connection) -> None:
    """matching's name function, callable from SQL on this connection."""
    connection.create_function(NAME_MATCHES, 2, matching.name_matches, deterministic=True)


# -- searching ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One refinement as a WHERE term on the image set aliased `s`, reading only columns the sort indexes carry, and
    the image_sets index whose seek is that term (for values that match few image sets), if any."""

    kind: str
    where: str
    parameters: tuple
    column: str
    index: str | None = None
    in_order: bool = False  # one value: its index lists the matches in updatedAt order, like a patient's index

    def canonical(self) -> str:
        return f"{self.kind}:{self.parameters!r}"


def refine(query: Query, refinements: dict[str, Any]) -> Query:
    """The query with the refinements (already checked against CAPABILITIES): filters beyond two as more
    conditions, the others as checks."""
    extra = parse_more_filters(f"refinements.{caps.EXTRA_FILTERS}", refinements.get(caps.EXTRA_FILTERS, ()))
    checks = tuple(_BUILDERS[kind](value) for kind, value in sorted(refinements.items()) if kind != caps.EXTRA_FILTERS)
    return replace(query, conditions=query.conditions + extra, checks=checks)


def _modality(value: list[str]) -> Check:
    codes = tuple(sorted({code.strip().upper() for code in value}))
    if len(codes) == 1:
        return Check(caps.MODALITY, "s.modality = ?", codes, "modality", "image_sets_by_modality", in_order=True)
    marks = ", ".join("?" * len(codes))
    return Check(caps.MODALITY, f"s.modality IN ({marks})", codes, "modality", "image_sets_by_modality")


def _body_part(value: str) -> Check:
    key = matching.text_key(value)
    return Check(caps.BODY_PART, "s.body_part = ?", (key,), "body_part", "image_sets_by_body_part", in_order=True)


def _sex(value: str) -> Check:
    return Check(caps.PATIENT_SEX, "s.patient_sex = ?", (value.strip().upper(),), "patient_sex")


def _birth_date(value: list[str | None]) -> Check:
    low, high = value
    terms, parameters = ["s.birth_date <> ''"], []
    if low:
        terms.append("s.birth_date >= ?")
        parameters.append(low)
    if high:
        terms.append("s.birth_date <= ?")
        parameters.append(high)
    return Check(
        caps.PATIENT_BIRTH_DATE, " AND ".join(terms), tuple(parameters), "birth_date", "image_sets_by_birth_date"
    )


def _name(value: str) -> Check:
    """The image sets whose name id is one of the distinct names that match. A query word matches a name exactly when
    one of the name's terms starts with it (matching.name_terms), so one word is found by prefix ranges alone; with
    several, matching.name_matches decides among the names holding them all (the words must share one `=` group).
    SQLite runs the subquery once per search."""
    words = matching.query_words(value)
    if not words:
        raise invalid("refinements.patient_name", "Member must hold at least one word of a name")
    holding, parameters = [], []
    for word in words:
        ranges = [_prefix_range(prefix) for prefix in matching.term_prefixes(word)]
        holding.append(" UNION ALL ".join("SELECT name FROM name_terms WHERE term >= ? AND term < ?" for _ in ranges))
        parameters += [bound for prefix_range in ranges for bound in prefix_range]
    tests = [f"id IN ({terms})" for terms in holding]
    if len(words) > 1:
        tests.append(f"{NAME_MATCHES}(?, name)")
        parameters.append(value)
    where = f"s.name_id IN (SELECT id FROM names WHERE {' AND '.join(tests)})"
    return Check(caps.PATIENT_NAME, where, tuple(parameters), "name_id", "image_sets_by_name")


def _prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds of the terms that start with `prefix` (in SQLite's binary order of UTF-8 text)."""
    return prefix, prefix + "\U0010ffff"


def _description(value: str) -> Check:
    """The image sets whose description id is one of the distinct descriptions holding the folded text: found by the
    trigram index from three characters on, by instr below that."""
    key = matching.text_key(value)
    if not key:
        raise invalid("refinements.study_description", "Member must hold some text to find")
    if len(key) >= TRIGRAM:
        found = "SELECT rowid FROM description_words WHERE description_words MATCH ?"
        parameter = '"' + key.replace('"', '""') + '"'
    else:
        found, parameter = "SELECT id FROM descriptions WHERE instr(text, ?) > 0", key
    return Check(
        caps.STUDY_DESCRIPTION,
        f"s.description_id IN ({found})",
        (parameter,),
        "description_id",
        "image_sets_by_description",
    )


_BUILDERS = {
    caps.MODALITY: _modality,
    caps.BODY_PART: _body_part,
    caps.PATIENT_SEX: _sex,
    caps.PATIENT_BIRTH_DATE: _birth_date,
    caps.PATIENT_NAME: _name,
    caps.STUDY_DESCRIPTION: _description,
}
