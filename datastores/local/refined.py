"""The refinements in SQLite: what is stored for them when an image set is written, and how each one is searched.

Each image set row carries its refinement columns (schema.REFINEMENT_COLUMNS): modality and sex upper-case, body
part and description folded (`matching.text_key`), birth date, and the name as stored. The sort indexes carry the
short ones, so a refinement that matches many image sets is checked on index entries while the page is read in
order. Where one matches few, a source lists them: its own index (modality, body part, birth date), the name's
index terms (`name_terms`: a prefix range per query word) or the trigram FTS5 table of folded descriptions (a
query of at least three characters). A name is decided by `matching.name_matches` itself, called from SQL (the
terms only find candidates fast); a description contains the query when the folded query is inside the folded
description, which is `matching.text_contains`'s rule, in SQLite's instr. So the local search matches exactly as the
server's check on a summary does.
"""

import sqlite3
from collections.abc import Iterable
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


def refinement_columns(tags: dict[str, Any]) -> tuple:
    """The values of schema.REFINEMENT_COLUMNS for a DICOMTags summary."""
    return (
        str(tags.get("DICOMSeriesModality") or "").upper(),
        matching.text_key(tags.get("DICOMSeriesBodyPart")),
        str(tags.get("DICOMPatientSex") or "").upper(),
        str(tags.get("DICOMPatientBirthDate") or ""),
        str(tags.get("DICOMPatientName") or ""),
        matching.text_key(tags.get("DICOMStudyDescription")),
    )


SET_COLUMNS = (
    "UPDATE image_sets SET modality = ?, body_part = ?, patient_sex = ?, birth_date = ?, patient_name = ?, "
    "description_key = ? WHERE pk = ?"
)


def write_refinements(connection: sqlite3.Connection, rows: list[tuple[int, dict[str, Any]]], new: bool) -> None:
    """Set the refinement columns and search terms of these (pk, summary) image sets; `new`: they have none yet."""
    connection.executemany(SET_COLUMNS, [(*refinement_columns(tags), pk) for pk, tags in rows])
    write_terms(connection, rows, new)


def write_terms(connection: sqlite3.Connection, rows: Iterable[tuple[int, dict[str, Any]]], new: bool) -> None:
    """The name terms and description words of these (pk, summary) image sets, replacing any they had."""
    rows = list(rows)
    if not new:
        connection.executemany("DELETE FROM name_terms WHERE pk = ?", [(pk,) for pk, _ in rows])
        connection.executemany("DELETE FROM description_words WHERE rowid = ?", [(pk,) for pk, _ in rows])
    connection.executemany(
        "INSERT INTO name_terms (pk, term) VALUES (?, ?)",
        [(pk, term) for pk, tags in rows for term in matching.name_terms(tags.get("DICOMPatientName"))],
    )
    connection.executemany(
        "INSERT INTO description_words (rowid, text) VALUES (?, ?)",
        [(pk, text) for pk, tags in rows if (text := matching.text_key(tags.get("DICOMStudyDescription")))],
    )


def register_functions(connection: sqlite3.Connection) -> None:
    """matching's name function, callable from SQL on this connection."""
    connection.create_function(NAME_MATCHES, 2, matching.name_matches, deterministic=True)


# -- searching ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """How the image sets a check matches can be listed: read from an image_sets index (whose seek is the check
    itself), or candidates (a superset) listed by SQL selecting their pks."""

    index: str | None = None
    candidates: str | None = None
    parameters: tuple = ()


@dataclass(frozen=True)
class Check:
    """One refinement as WHERE terms on the image set aliased `s` (`s.pk` and the sort indexes' columns): `where`
    in SQLite's own terms, then `decided` (a call into Python, costly per row: the page applies it last, to rows
    already in order, so it runs for little more than the page's rows)."""

    kind: str
    where: str
    parameters: tuple
    columns: tuple[str, ...]  # the image_sets columns `where` reads besides pk
    source: Source | None = None
    decided: str = ""
    decided_parameters: tuple = ()

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
    marks = ", ".join("?" * len(codes))
    return Check(caps.MODALITY, f"s.modality IN ({marks})", codes, ("modality",), Source(index="image_sets_by_modality"))


def _body_part(value: str) -> Check:
    key = matching.text_key(value)
    return Check(caps.BODY_PART, "s.body_part = ?", (key,), ("body_part",), Source(index="image_sets_by_body_part"))


def _sex(value: str) -> Check:
    return Check(caps.PATIENT_SEX, "s.patient_sex = ?", (value.strip().upper(),), ("patient_sex",))


def _birth_date(value: list[str | None]) -> Check:
    low, high = value
    terms, parameters = ["s.birth_date <> ''"], []
    if low:
        terms.append("s.birth_date >= ?")
        parameters.append(low)
    if high:
        terms.append("s.birth_date <= ?")
        parameters.append(high)
    where = " AND ".join(terms)
    return Check(caps.PATIENT_BIRTH_DATE, where, tuple(parameters), ("birth_date",), Source(index="image_sets_by_birth_date"))


def _name(value: str) -> Check:
    words = matching.query_words(value)
    if not words:
        raise invalid("refinements.patient_name", "Member must hold at least one word of a name")
    probes = [
        "EXISTS (SELECT 1 FROM name_terms AS t WHERE t.pk = s.pk AND t.term >= ? AND t.term < ?)" for _ in words
    ]
    parameters = tuple(bound for word in words for bound in _prefix_range(word))
    longest = max(words, key=len)
    source = Source(
        candidates="SELECT pk FROM name_terms INDEXED BY name_terms_by_term WHERE term >= ? AND term < ?",
        parameters=_prefix_range(longest),
    )
    decided = f"{NAME_MATCHES}(?, (SELECT patient_name FROM image_sets AS n WHERE n.pk = s.pk))"
    return Check(caps.PATIENT_NAME, " AND ".join(probes), parameters, (), source, decided, (value,))


def _prefix_range(word: str) -> tuple[str, str]:
    """Bounds of the terms that start with `word` (in SQLite's binary order of UTF-8 text)."""
    return word, word + "\U0010ffff"


def _description(value: str) -> Check:
    key = matching.text_key(value)
    if not key:
        raise invalid("refinements.study_description", "Member must hold some text to find")
    where = "instr((SELECT description_key FROM image_sets AS d WHERE d.pk = s.pk), ?) > 0"
    source = None
    if len(key) >= TRIGRAM:
        phrase = '"' + key.replace('"', '""') + '"'
        source = Source(candidates="SELECT rowid FROM description_words WHERE description_words MATCH ?", parameters=(phrase,))
    return Check(caps.STUDY_DESCRIPTION, where, (key,), (), source)


_BUILDERS = {
    caps.MODALITY: _modality,
    caps.BODY_PART: _body_part,
    caps.PATIENT_SEX: _sex,
    caps.PATIENT_BIRTH_DATE: _birth_date,
    caps.PATIENT_NAME: _name,
    caps.STUDY_DESCRIPTION: _description,
}
