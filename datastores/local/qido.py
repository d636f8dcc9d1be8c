"""QIDO-RS over the local store, as AWS HealthImaging represents it (SearchDICOMStudies, SearchDICOMSeries,
SearchDICOMInstances), so the AWS backend's DICOMweb path can be tested for real through serve-api.

What it follows, from HealthImaging's developer guide: hierarchical queries only (series need the study UID,
instances both UIDs); primary image sets only; studies ordered by last update, newest first; series by SeriesNumber
and instances by InstanceNumber, ascending; at most 10,000 records per query (`limit`/`offset` page inside them).
Matching follows DICOM PS3.4 C.2.2.2: a value matches exactly, `*` and `?` are wildcards, dates take `a-b` ranges
(either side open), UIDs a comma- or backslash-separated list, an empty value matches anything. Where the guide is
silent it picks: person names match in any case (as Orthanc and dcm4chee do by default), other text exactly.

Each study record is built from the primary image sets of the study: study attributes from its most recently
updated one, ModalitiesInStudy and the counts over all of them. A query key the level does not search is a 400
naming the keys it does; the key itself is not echoed (it is caller text).
"""

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imageset_search.datastores.dicomweb import dicom_json
from imageset_search.datastores.errors import ValidationException

MAX_RECORDS = 10_000
CONTROL_PARAMETERS = ("limit", "offset", "includefield", "fuzzymatching")

# DICOMTags key of the stored summary -> DICOM keyword, for what a study record shows.
STUDY_ATTRIBUTES = {
    "DICOMStudyInstanceUID": "StudyInstanceUID",
    "DICOMStudyDate": "StudyDate",
    "DICOMStudyTime": "StudyTime",
    "DICOMAccessionNumber": "AccessionNumber",
    "DICOMStudyId": "StudyID",
    "DICOMStudyDescription": "StudyDescription",
    "DICOMPatientName": "PatientName",
    "DICOMPatientId": "PatientID",
    "DICOMPatientBirthDate": "PatientBirthDate",
    "DICOMPatientSex": "PatientSex",
}
SERIES_ATTRIBUTES = {
    "DICOMSeriesInstanceUID": "SeriesInstanceUID",
    "DICOMSeriesModality": "Modality",
    "DICOMSeriesNumber": "SeriesNumber",
    "DICOMSeriesBodyPart": "BodyPartExamined",
}
UID_KEYS = {"StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID"}
DATE_KEYS = {"StudyDate", "PatientBirthDate"}
# The matching keys of each level (HealthImaging's documented ones; study attributes also at the lower levels).
STUDY_KEYS = (
    "StudyInstanceUID",
    "PatientName",
    "PatientID",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "StudyDescription",
    "ModalitiesInStudy",
    "ReferringPhysicianName",
)
SERIES_KEYS = ("SeriesInstanceUID", "Modality", "SeriesNumber")
INSTANCE_KEYS = ("SOPInstanceUID", "SOPClassUID", "InstanceNumber")

Record = dict[str, Any]  # keyword -> value (a list for multi-valued attributes)


@dataclass(frozen=True)
class Query:
    """One QIDO-RS request's matching keys (keyword -> value), `limit` and `offset`."""

    keys: dict[str, str]
    limit: int | None
    offset: int

    @classmethod
    def parse(cls, params: dict[str, str], allowed: tuple[str, ...]) -> "Query":
        keys = {}
        for name, value in params.items():
            if name in CONTROL_PARAMETERS:
                continue
            keyword = dicom_json.keyword_of(name) if re.fullmatch(r"[0-9A-Fa-f]{8}", name) else name
            if keyword not in allowed:
                raise ValidationException(
                    f"a query key this QIDO-RS level does not match on: use {', '.join(allowed)} "
                    f"(keywords or tags) with {', '.join(CONTROL_PARAMETERS)}"
                )
            keys[keyword] = value
        return cls(keys, _count(params, "limit", 1), _count(params, "offset", 0) or 0)

    def page(self, records: list[Record]) -> list[Record]:
        """The records this query's offset and limit select, inside the first MAX_RECORDS."""
        capped = records[:MAX_RECORDS]
        end = len(capped) if self.limit is None else self.offset + self.limit
        return capped[self.offset : end]

    def matches(self, record: Record) -> bool:
        return all(_matcher(keyword, wanted)(record.get(keyword)) for keyword, wanted in self.keys.items())


def _count(params: dict[str, str], name: str, least: int) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < least:
        raise ValidationException(f"{name} must be a whole number of at least {least}")
    return int(raw)


def _matcher(keyword: str, wanted: str) -> Callable[[Any], bool]:
    """PS3.4 C.2.2.2 matching of one key against a record's value (a list for ModalitiesInStudy)."""
    if wanted == "":
        return lambda found: True
    if keyword in UID_KEYS:
        listed = {uid for uid in re.split(r"[,\\]", wanted) if uid}
        return lambda found: found in listed
    if keyword in DATE_KEYS:
        return _date_range(keyword, wanted)
    if keyword == "ModalitiesInStudy":
        listed = {code for code in re.split(r"[,\\]", wanted) if code}
        return lambda found: bool(listed & set(found or ()))
    folded = keyword.endswith("Name")  # person names: any case
    pattern = _wildcard(wanted, folded)
    return lambda found: found is not None and pattern.fullmatch(str(found)) is not None


def _wildcard(wanted: str, any_case: bool) -> re.Pattern:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wanted)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if any_case else re.DOTALL)


def _date_range(keyword: str, wanted: str) -> Callable[[Any], bool]:
    low, dash, high = wanted.partition("-")
    if any(side and not re.fullmatch(r"\d{8}", side) for side in (low, high)) or not (low or high):
        raise ValidationException(f"{keyword} takes yyyyMMdd or a range yyyyMMdd-yyyyMMdd (either side may be open)")
    if not dash:
        high = low
    return lambda found: bool(found) and (not low or found >= low) and (not high or found <= high)


# -- the three levels -------------------------------------------------------------------------------------------------


def studies(connection: sqlite3.Connection, ds: int, params: dict[str, str]) -> list[dict[str, Any]]:
    query = Query.parse(params, STUDY_KEYS)
    rows = connection.execute(
        "SELECT i.study_uid, i.updated_at, i.tags, i.n_instances, v.levels FROM image_sets i "
        "JOIN versions v ON v.image_set = i.pk AND v.version = i.version "
        "WHERE i.ds = ? AND i.is_primary = 1 ORDER BY i.study_uid, i.updated_at DESC, i.id",
        (ds,),
    ).fetchall()
    found: dict[str, Record] = {}
    updated: dict[str, int] = {}
    for study_uid, updated_at, tags, n_instances, levels in rows:
        tags = json.loads(tags)
        study = found.get(study_uid)
        if study is None:  # rows come newest first within a study: this one gives the study attributes
            study = found[study_uid] = _study_record(tags, json.loads(levels))
            updated[study_uid] = updated_at
        study["NumberOfStudyRelatedSeries"] += 1
        study["NumberOfStudyRelatedInstances"] += n_instances
        modality = tags.get("DICOMSeriesModality")
        if modality and modality not in study["ModalitiesInStudy"]:
            study["ModalitiesInStudy"] = sorted([*study["ModalitiesInStudy"], modality])
    ordered = [found[uid] for uid in sorted(found, key=lambda uid: (-updated[uid], uid))]
    return [dicom_json.dataset(record) for record in query.page([s for s in ordered if query.matches(s)])]


def _study_record(tags: dict[str, Any], levels: dict[str, Any]) -> Record:
    record = {keyword: tags.get(key) for key, keyword in STUDY_ATTRIBUTES.items()}
    record.update(
        ReferringPhysicianName=levels.get("Study", {}).get("ReferringPhysicianName"),
        ModalitiesInStudy=[],
        NumberOfStudyRelatedSeries=0,
        NumberOfStudyRelatedInstances=0,
    )
    return record


def series(connection: sqlite3.Connection, ds: int, study_uid: str, params: dict[str, str]) -> list[dict[str, Any]]:
    query = Query.parse(params, SERIES_KEYS)
    rows = connection.execute(
        "SELECT tags, n_instances FROM image_sets WHERE ds = ? AND study_uid = ? AND is_primary = 1", (ds, study_uid)
    ).fetchall()
    records = []
    for tags, n_instances in rows:
        tags = json.loads(tags)
        record = {keyword: tags.get(key) for key, keyword in SERIES_ATTRIBUTES.items()}
        record.update(StudyInstanceUID=study_uid, NumberOfSeriesRelatedInstances=n_instances)
        records.append(record)
    records.sort(key=lambda r: (r["SeriesNumber"] is None, r["SeriesNumber"] or 0, r["SeriesInstanceUID"]))
    return [dicom_json.dataset(record) for record in query.page([r for r in records if query.matches(r)])]


def instances(
    connection: sqlite3.Connection, ds: int, study_uid: str, series_uid: str, params: dict[str, str]
) -> list[dict[str, Any]]:
    query = Query.parse(params, INSTANCE_KEYS)
    rows = connection.execute(
        "SELECT n.sop_uid, n.doc FROM image_sets i JOIN instances n ON n.image_set = i.pk AND n.version <= i.version "
        "WHERE i.ds = ? AND i.study_uid = ? AND i.series_uid = ? AND i.is_primary = 1",
        (ds, study_uid, series_uid),
    ).fetchall()
    records = []
    for sop_uid, doc in rows:
        attributes = json.loads(doc).get("DICOM", {})
        records.append(
            {
                "SOPClassUID": attributes.get("SOPClassUID"),
                "SOPInstanceUID": sop_uid,
                "InstanceNumber": attributes.get("InstanceNumber"),
                "StudyInstanceUID": study_uid,
                "SeriesInstanceUID": series_uid,
            }
        )
    records.sort(key=lambda r: (r["InstanceNumber"] is None, _number(r["InstanceNumber"]), r["SOPInstanceUID"]))
    return [dicom_json.dataset(record) for record in query.page([r for r in records if query.matches(r)])]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
