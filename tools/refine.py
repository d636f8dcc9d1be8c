"""Matching that the service cannot do, applied to each returned ImageSetsMetadataSummary.

Two kinds: refinements (modality, body part, patient name, description, sex, birth date), which SearchImageSets has
no filter for, and AWS filters beyond the two a request may carry, evaluated here exactly as the service would.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from imageset_search.datastores.instants import to_millis
from imageset_search.datastores.studytime import study_key

Summary = dict[str, Any]
Predicate = Callable[[Summary], bool]

_NAME_SPLIT = re.compile(r"[\s\^=,]+")


def name_words(name: str) -> list[str]:
    """A DICOM person name ("Huel628^Melissa844", "Melissa844 Huel628") as lower-case words, order aside."""
    return [word for word in _NAME_SPLIT.split(name.casefold()) if word]


def name_matches(query: str, name: str | None) -> bool:
    """Every query word starts some word of the name: order, case and `^` separators do not matter."""
    words = name_words(name or "")
    return all(any(word.startswith(wanted) for word in words) for wanted in name_words(query))


def _tags(summary: Summary) -> dict[str, Any]:
    return summary.get("DICOMTags") or {}


def _fold(text: Any) -> str:
    return " ".join(str(text or "").replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class Refinements:
    modality: tuple[str, ...] = ()
    body_part: str | None = None
    patient_name: str | None = None
    study_description: str | None = None
    patient_sex: str | None = None
    birth_date: tuple[str | None, str | None] | None = None  # inclusive yyyyMMdd bounds

    def predicates(self) -> list[Predicate]:
        found: list[Predicate] = []
        if self.modality:
            wanted = {code.strip().upper() for code in self.modality}
            found.append(lambda s: str(_tags(s).get("DICOMSeriesModality", "")).upper() in wanted)
        if self.body_part:
            part = _fold(self.body_part)
            found.append(lambda s: _fold(_tags(s).get("DICOMSeriesBodyPart")) == part)
        if self.patient_name:
            found.append(lambda s: name_matches(self.patient_name, _tags(s).get("DICOMPatientName")))
        if self.study_description:
            text = _fold(self.study_description)
            found.append(lambda s: text in _fold(_tags(s).get("DICOMStudyDescription")))
        if self.patient_sex:
            found.append(lambda s: str(_tags(s).get("DICOMPatientSex", "")).upper() == self.patient_sex)
        if self.birth_date:
            low, high = self.birth_date
            found.append(lambda s: _within(_tags(s).get("DICOMPatientBirthDate"), low, high))
        return found

    def said(self) -> list[str]:
        lines = []
        if self.modality:
            lines.append("modality " + " or ".join(self.modality))
        if self.body_part:
            lines.append(f"body part {self.body_part} (any case)")
        if self.patient_name:
            lines.append("patient name has the words given (any order and case)")
        if self.study_description:
            lines.append("study description contains the text given (any case)")
        if self.patient_sex:
            lines.append(f"patient sex {self.patient_sex}")
        if self.birth_date:
            low, high = self.birth_date
            lines.append(f"patient birth date {low or 'any'} to {high or 'any'}")
        return lines


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
