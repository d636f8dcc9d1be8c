"""What a result holds: compact study groups by default, AWS's own summaries on request.

`summary` puts study-level fields (patient, study date, description, accession, study UID) once per study and the
series-level ones under each image set, and drops empty fields: a model reads more results in fewer tokens.
`full` returns ImageSetsMetadataSummary objects with AWS's field names and ISO-8601 UTC timestamps.
"""

from datetime import datetime, timezone
from typing import Any, Iterable

from imageset_search.datastores.instants import aware

STUDY_FIELDS = {
    "study_instance_uid": "DICOMStudyInstanceUID",
    "patient_id": "DICOMPatientId",
    "patient_name": "DICOMPatientName",
    "patient_sex": "DICOMPatientSex",
    "patient_birth_date": "DICOMPatientBirthDate",
    "study_id": "DICOMStudyId",
    "study_date": "DICOMStudyDate",
    "study_time": "DICOMStudyTime",
    "study_description": "DICOMStudyDescription",
    "accession_number": "DICOMAccessionNumber",
    "series_count": "DICOMNumberOfStudyRelatedSeries",
    "instance_count": "DICOMNumberOfStudyRelatedInstances",
}
IMAGE_SET_TAGS = {
    "series_instance_uid": "DICOMSeriesInstanceUID",
    "modality": "DICOMSeriesModality",
    "body_part": "DICOMSeriesBodyPart",
    "series_number": "DICOMSeriesNumber",
}
IMAGE_SET_FIELDS = {"image_set_id": "imageSetId", "is_primary": "isPrimary", "version": "version"}
TIME_FIELDS = {"created_at": "createdAt", "updated_at": "updatedAt"}


def iso(value: Any) -> Any:
    """A timestamp as the AWS CLI prints it: ISO 8601 in UTC with microseconds."""
    if isinstance(value, datetime):
        return aware(value).astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


def full(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: iso(value) for key, value in summary.items()}


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _pick(source: dict[str, Any], names: dict[str, str], wanted: set[str] | None) -> dict[str, Any]:
    return {
        name: source[key]
        for name, key in names.items()
        if (wanted is None or name in wanted) and _present(source.get(key))
    }


def _image_set(summary: dict[str, Any], wanted: set[str] | None, with_times: bool) -> dict[str, Any]:
    brief = _pick(summary, IMAGE_SET_FIELDS, wanted)
    brief.update(_pick(summary.get("DICOMTags") or {}, IMAGE_SET_TAGS, wanted))
    if with_times:
        brief.update({name: iso(value) for name, value in _pick(summary, TIME_FIELDS, wanted).items()})
    return brief


# What a summary holds unless `fields` says otherwise: series UIDs and timestamps are long and rarely needed (the
# image set id is what the other tools take); `fields` or detail=full brings them.
DEFAULT_FIELDS = set(STUDY_FIELDS) | set(IMAGE_SET_FIELDS) | set(IMAGE_SET_TAGS) - {"series_instance_uid"}


def grouped(summaries: Iterable[dict[str, Any]], fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Image sets under their studies, in the order the studies first appear (the search's order)."""
    wanted = set(fields) | {"image_set_id"} if fields else DEFAULT_FIELDS
    with_times = bool(wanted & set(TIME_FIELDS))
    studies: dict[Any, dict[str, Any]] = {}
    for summary in summaries:
        tags = summary.get("DICOMTags") or {}
        key = tags.get("DICOMStudyInstanceUID") or ("no study UID", summary["imageSetId"])
        if key not in studies:
            studies[key] = _pick(tags, STUDY_FIELDS, wanted) | {"image_sets": []}
        studies[key]["image_sets"].append(_image_set(summary, wanted, with_times))
    return list(studies.values())
