"""The capability contract: which criteria beyond SearchImageSets' own a datastore searches itself, and how well.

SearchImageSets takes at most two filters, on IDs, dates and isPrimary. Every other criterion (a "refinement":
modality, body part, patient name, study description, patient sex, birth date, and AWS filters beyond the two) is
either searched by the datastore, where it declares it can, or checked by the server on each returned summary (the
scan). A datastore declares `capabilities`, a mapping from refinement kind to `Capability`; the planner
(`tools.planner`) pushes each refinement to the datastore when it is declared and keeps a check on each summary for
what is not declared, or declared NARROWS.

A datastore that declares any capability takes the pushed refinements as a plain dict beside `search_criteria`:
`search_image_sets(datastore_id, search_criteria, max_results, next_token, refinements={kind: value})`, and
returns the same SearchImageSets response shape, token-paged, every match once, in the sort's order. Without
`refinements` (or with an empty dict) the call is exactly SearchImageSets, with all of the service's rules.

This module is plain data (no `tools` imports: arrows run server -> tools -> datastores).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imageset_search.datastores.errors import ValidationException

# The refinement kinds: keys of `capabilities` and of the `refinements` dict, with the value each one takes.
MODALITY = "modality"  # list of upper-case codes ("CT", "MR"): DICOMSeriesModality is any of them
BODY_PART = "body_part"  # text: DICOMSeriesBodyPart equal to it, case, spaces and "_" aside
PATIENT_NAME = "patient_name"  # text: DICOMPatientName has these words (datastores.matching.name_matches)
STUDY_DESCRIPTION = "study_description"  # text: DICOMStudyDescription contains it (datastores.matching.text_contains)
PATIENT_SEX = "patient_sex"  # "M" | "F" | "O": DICOMPatientSex equal to it
PATIENT_BIRTH_DATE = "patient_birth_date"  # [low, high], inclusive yyyyMMdd, either may be None (open side)
EXTRA_FILTERS = "extra_filters"  # list of AWS SearchFilter dicts beyond the two of searchCriteria, ANDed with them
KINDS = (MODALITY, BODY_PART, PATIENT_NAME, STUDY_DESCRIPTION, PATIENT_SEX, PATIENT_BIRTH_DATE, EXTRA_FILTERS)

# How a datastore matches a kind.
EQUAL = "equal"  # the value as given (after the kind's normalization: upper-case codes, folded text)
RANGE = "range"  # inclusive bounds
WORDS = "words"  # every word given starts a word of the value, in any order (see datastores.matching)
CONTAINS = "contains"  # the text given is inside the value (see datastores.matching)
ANY_OF = "any-of"  # equal to one of a list
MATCHES = (EQUAL, RANGE, WORDS, CONTAINS, ANY_OF)

# How good its answer is.
EXACT = "exact"  # the datastore returns exactly the image sets that match: nothing is checked again
NARROWS = "narrows"  # it returns a superset (e.g. matched per study, not per series): each summary is checked again
ANSWERS = (EXACT, NARROWS)


@dataclass(frozen=True)
class Capability:
    """How a datastore searches one refinement kind."""

    match: str  # one of MATCHES
    answer: str  # EXACT or NARROWS

    def __post_init__(self) -> None:
        if self.match not in MATCHES or self.answer not in ANSWERS:
            raise ValueError(f"a Capability takes match in {MATCHES} and answer in {ANSWERS}")


Capabilities = Mapping[str, Capability]


def capabilities_of(datastore: Any) -> Capabilities:
    """What a datastore declares it searches (nothing, for one that declares nothing: everything is scanned)."""
    declared = getattr(datastore, "capabilities", None) or {}
    unknown = set(declared) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown refinement kinds declared: {sorted(unknown)}; the kinds are {KINDS}")
    return declared


def check_refinements(refinements: Any, capabilities: Capabilities) -> dict[str, Any]:
    """The `refinements` argument, checked against the contract's shapes and what the datastore declares.

    A datastore calls this first, so a caller's slip is a clear ValidationException, not a wrong answer."""
    if refinements is None:
        return {}
    if not isinstance(refinements, dict):
        raise ValidationException("refinements must be a dict of refinement kind to value")
    for kind, value in refinements.items():
        if kind not in capabilities:
            known = ", ".join(capabilities) or "none"
            raise ValidationException(f"this datastore does not search the refinement {kind!r} (it searches: {known})")
        _check_value(kind, value)
    return refinements


def _check_value(kind: str, value: Any) -> None:
    if kind == MODALITY:
        ok = isinstance(value, (list, tuple)) and bool(value) and all(isinstance(code, str) for code in value)
    elif kind == PATIENT_BIRTH_DATE:
        ok = (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(
                bound is None or (isinstance(bound, str) and len(bound) == 8 and bound.isdigit()) for bound in value
            )
        )
    elif kind == EXTRA_FILTERS:
        ok = isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, dict) for item in value)
    else:
        ok = isinstance(value, str) and bool(value.strip())
    if not ok:
        raise ValidationException(f"refinements.{kind} has the wrong shape: {_SHAPES[kind]}")


_SHAPES = {
    MODALITY: "send a non-empty list of modality codes, e.g. ['CT', 'MR']",
    BODY_PART: "send the body part as non-empty text, e.g. 'CHEST'",
    PATIENT_NAME: "send the name's words as non-empty text",
    STUDY_DESCRIPTION: "send the text to find as non-empty text",
    PATIENT_SEX: "send 'M', 'F' or 'O'",
    PATIENT_BIRTH_DATE: "send [low, high] as yyyyMMdd texts, None for an open side",
    EXTRA_FILTERS: "send a non-empty list of SearchImageSets filters",
}
