"""Matching that SearchImageSets cannot do, as checks on one returned ImageSetsMetadataSummary.

Two kinds: refinements (modality, body part, patient name, description, sex, birth date), which SearchImageSets has
no filter for, and AWS filters beyond the two a request may carry, evaluated here exactly as the service would. The
planner runs a check here only for what the datastore does not search itself (`datastores.capabilities`); names and
descriptions are matched by `datastores.matching`, the one function the local datastore's own search uses too.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from imageset_search.datastores import capabilities, matching
from imageset_search.datastores.instants import to_millis
from imageset_search.datastores.studytime import study_key

Summary = dict[str, Any]
Predicate = Callable[[Summary], bool]


def _tags(summary: Summary) -> dict[str, Any]:
    return summary.get("DICOMTags") or {}


@dataclass(frozen=True)
class Part:
    """One refinement: its kind (a `datastores.capabilities` kind), the value a datastore takes for it, what it
    searches in plain words, and its check on one summary (for when the datastore does not search it)."""

    kind: str
    value: Any
    said: str
    check: Predicate


@dataclass(frozen=True)
class Refinements:
    modality: tuple[str, ...] = ()
    body_part: str | None = None
    patient_name: str | None = None
    study_description: str | None = None
    patient_sex: str | None = None
    birth_date: tuple[str | None, str | None] | None = None  # inclusive yyyyMMdd bounds

    def parts(self) -> list[Part]:
        found: list[Part] = []
        if self.modality:
            wanted = {code.strip().upper() for code in self.modality}
            found.append(
                Part(
                    capabilities.MODALITY,
                    list(self.modality),
                    "modality " + " or ".join(self.modality),
                    lambda s: str(_tags(s).get("DICOMSeriesModality", "")).upper() in wanted,
                )
            )
        if self.body_part:
            found.append(
                Part(
                    capabilities.BODY_PART,
                    self.body_part,
                    f"body part {self.body_part} (any case)",
                    lambda s: matching.same_text(self.body_part, _tags(s).get("DICOMSeriesBodyPart")),
                )
            )
        if self.patient_name:
            found.append(
                Part(
                    capabilities.PATIENT_NAME,
                    self.patient_name,
                    "patient name has the words given (any order, case and accents)",
                    lambda s: matching.name_matches(self.patient_name, _tags(s).get("DICOMPatientName")),
                )
            )
        if self.study_description:
            found.append(
                Part(
                    capabilities.STUDY_DESCRIPTION,
                    self.study_description,
                    "study description contains the text given (any case and accents)",
                    lambda s: matching.text_contains(self.study_description, _tags(s).get("DICOMStudyDescription")),
                )
            )
        if self.patient_sex:
            found.append(
                Part(
                    capabilities.PATIENT_SEX,
                    self.patient_sex,
                    f"patient sex {self.patient_sex}",
                    lambda s: str(_tags(s).get("DICOMPatientSex", "")).upper() == self.patient_sex,
                )
            )
        if self.birth_date:
            low, high = self.birth_date
            found.append(
                Part(
                    capabilities.PATIENT_BIRTH_DATE,
                    [low, high],
                    f"patient birth date {low or 'any'} to {high or 'any'}",
                    lambda s: _within(_tags(s).get("DICOMPatientBirthDate"), low, high),
                )
            )
        return found


def _within(value: Any, low: Any, high: Any) -> bool:
    if value is None or value == "":
        return False
    return (low is None or value >= low) and (high is None or value <= high)


# --- AWS filters evaluated here --------------------------------------------------------------------------------------


def _millis(value: Any) -> int:
    if isinstance(value, datetime):
        return to_millis(value)
    return int(float(value) * 1000 // 1)


def _summary_value(summary: Summary, attribute: str) -> Any:
    if attribute in ("createdAt", "updatedAt", "isPrimary"):
        return summary.get(attribute)
    if attribute == "DICOMStudyDateAndTime":
        tags = _tags(summary)
        if not tags.get("DICOMStudyDate"):
            return None
        return {"DICOMStudyDate": tags.get("DICOMStudyDate"), "DICOMStudyTime": tags.get("DICOMStudyTime")}
    return _tags(summary).get(attribute)


def _comparable(attribute: str, value: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        return _millis(value)
    if attribute == "DICOMStudyDateAndTime":
        return study_key(value.get("DICOMStudyDate"), value.get("DICOMStudyTime"))
    return value


def filter_predicate(attribute: str, search_filter: dict[str, Any]) -> Predicate:
    """The summary-side twin of one AWS filter: EQUAL is exact, BETWEEN inclusive, as the service compares."""
    bounds = [_comparable(attribute, value[attribute]) for value in search_filter["values"]]

    def matches(summary: Summary) -> bool:
        found = _summary_value(summary, attribute)
        if found is None:
            return False
        value = _comparable(attribute, found)
        if search_filter["operator"] == "BETWEEN":
            return bounds[0] <= value <= bounds[1]
        return value == bounds[0]

    return matches


def all_of(predicates: list[Predicate]) -> Predicate | None:
    """One predicate for many (None when there is nothing to check, so the paginator can skip the work)."""
    if not predicates:
        return None
    return lambda summary: all(predicate(summary) for predicate in predicates)
