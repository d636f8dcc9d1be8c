"""What one image set shows in search: its DICOMTags summary, and the grouping key that decides where instances go.

HealthImaging groups instances into series-level image sets on seven attributes; every instance of an image set
shares them. The other summary tags (name, sex, description, modality, ...) may differ between instances: the
summary takes each one from the first instance that has it, so re-sending instances never changes what a search
shows. Empty values are left out of DICOMTags, as AWS does. The study counts are not stored here: they change
whenever another series of the study arrives, so the search computes them when it reads a page.
"""

from typing import Any

from imageset_search.datastores.healthimaging import DICOM_TAGS
from imageset_search.datastores.local.records import Instance
from imageset_search.datastores.studytime import study_key

STUDY_COUNT_KEYS = ("DICOMNumberOfStudyRelatedSeries", "DICOMNumberOfStudyRelatedInstances")
SUMMARY_KEYS = tuple(key for key in DICOM_TAGS if key not in STUDY_COUNT_KEYS)  # what an instance's tags give
GROUPING_KEYS = (
    "DICOMStudyDate",
    "DICOMAccessionNumber",
    "DICOMPatientId",
    "DICOMStudyInstanceUID",
    "DICOMStudyId",
    "DICOMSeriesInstanceUID",
    "DICOMSeriesNumber",
)

GroupingKey = tuple[Any, ...]


def check_instance(position: int, instance: Any) -> None:
    """Reject a record the store cannot file, naming what is wrong (never a patient value)."""
    where = f"instance {position + 1} of the batch"
    if not isinstance(instance, Instance):
        raise ValueError(f"{where} is a {type(instance).__name__}, not a records.Instance")
    for name in ("sop_instance_uid", "series_instance_uid"):
        value = getattr(instance, name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{where} has no {name}: every instance needs its SOP and series UIDs")
    unknown = sorted(set(instance.tags) - set(DICOM_TAGS))
    if unknown:
        raise ValueError(
            f"{where} has tags the summary does not know: {', '.join(unknown)}; use records.Instance's keys"
        )
    series_number = instance.tags.get("DICOMSeriesNumber")
    if series_number is not None and (isinstance(series_number, bool) or not isinstance(series_number, int)):
        raise ValueError(f"{where} has a DICOMSeriesNumber that is not an integer")
    tagged_series = instance.tags.get("DICOMSeriesInstanceUID")
    if tagged_series and tagged_series != instance.series_instance_uid:
        raise ValueError(f"{where} has a DICOMSeriesInstanceUID tag that differs from its series_instance_uid")


def grouping_key(instance: Instance) -> GroupingKey:
    """The seven attributes an instance must share with an image set to join it (empty and missing are the same)."""
    tags = dict(instance.tags, DICOMSeriesInstanceUID=instance.series_instance_uid)
    return tuple(_present(tags.get(key)) for key in GROUPING_KEYS)


def summary_key(tags: dict[str, Any]) -> GroupingKey:
    """The grouping key of an image set, read back from its stored summary."""
    return tuple(_present(tags.get(key)) for key in GROUPING_KEYS)


def fill_summary(summary: dict[str, Any], instance: Instance) -> None:
    """Add to `summary` (in place) the tags it still lacks that `instance` has; study counts are the search's."""
    tags = instance.tags
    for key in SUMMARY_KEYS:
        if key not in summary:
            value = instance.series_instance_uid if key == "DICOMSeriesInstanceUID" else _present(tags.get(key))
            if value is not None:
                summary[key] = value


def _present(value: Any) -> Any:
    """None for an empty value ('' or None), the value otherwise."""
    return None if value is None or value == "" else value


def indexed_columns(tags: dict[str, Any]) -> tuple:
    """The image_sets columns searches read by index, from a DICOMTags summary (one place for the import path and
    the bulk loader): patient_id, accession_number, study_id, study_uid, series_uid, study_dt."""
    return (
        tags.get("DICOMPatientId", ""),
        tags.get("DICOMAccessionNumber", ""),
        tags.get("DICOMStudyId", ""),
        tags.get("DICOMStudyInstanceUID", ""),
        tags["DICOMSeriesInstanceUID"],
        study_key(tags.get("DICOMStudyDate"), tags.get("DICOMStudyTime")),
    )
