"""The record the DICOM importer hands to the local store: one instance's header, split the way HealthImaging files it.

The importer knows DICOM (which attribute sits at which level, how legacy values are normalized); the store knows
image sets (grouping, versions, summaries, search). This record is the whole of what passes between them.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Instance:
    sop_instance_uid: str
    series_instance_uid: str
    # The summary fields this instance gives its image set, under AWS's DICOMTags keys (DICOMPatientId,
    # DICOMPatientName, DICOMPatientBirthDate, DICOMPatientSex, DICOMStudyInstanceUID, DICOMStudyId,
    # DICOMStudyDescription, DICOMAccessionNumber, DICOMStudyDate, DICOMStudyTime, DICOMSeriesInstanceUID,
    # DICOMSeriesModality, DICOMSeriesBodyPart, DICOMSeriesNumber), normalized: dates yyyyMMdd, times
    # HHmmss[.FFFFFF], strings trimmed, SeriesNumber an int, empty values None. The study counts are the store's.
    tags: dict[str, Any]
    # The metadata document's levels (GetImageSetMetadata layout), DICOM keyword -> JSON value, empty values None.
    patient: dict[str, Any] = field(default_factory=dict)
    study: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)
    instance: dict[str, Any] = field(default_factory=dict)
    vrs: dict[str, str] = field(default_factory=dict)  # keyword -> VR of the instance-level attributes
    transfer_syntax_uid: str | None = None
