"""Which DICOM attribute belongs to which metadata level, and the Instance record a header's elements make.

HealthImaging files each instance's attributes at four levels (Patient, Study, Series, Instance) and builds image
sets from them; this module does the DICOM half of that. It takes (keyword, VR, JSON value) elements from either
header reader (`dicom_header`, or pydicom through `pydicom_reader`), so which one read a file never shows in what is
stored.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from imageset_search.datastores.local.records import Instance

PATIENT_KEYWORDS = frozenset(
    """PatientName PatientID IssuerOfPatientID IssuerOfPatientIDQualifiersSequence TypeOfPatientID PatientBirthDate
    PatientBirthTime PatientSex QualityControlSubject OtherPatientIDs OtherPatientIDsSequence OtherPatientNames
    EthnicGroup PatientSpeciesDescription PatientSpeciesCodeSequence PatientBreedDescription PatientBreedCodeSequence
    BreedRegistrationSequence StrainDescription ResponsiblePerson ResponsiblePersonRole ResponsibleOrganization
    PatientComments PatientIdentityRemoved DeidentificationMethod DeidentificationMethodCodeSequence""".split()
)
# The General Study and Patient Study modules: what is true of the study whichever series it is read from.
STUDY_KEYWORDS = frozenset(
    """StudyInstanceUID StudyDate StudyTime StudyID AccessionNumber IssuerOfAccessionNumberSequence StudyDescription
    ReferringPhysicianName ReferringPhysicianIdentificationSequence ConsultingPhysicianName PhysiciansOfRecord
    NameOfPhysiciansReadingStudy RequestingServiceCodeSequence ReferencedStudySequence ProcedureCodeSequence
    ReasonForPerformedProcedureCodeSequence AdmittingDiagnosesDescription AdmittingDiagnosesCodeSequence PatientAge
    PatientSize PatientWeight MedicalAlerts Allergies SmokingStatus PregnancyStatus LastMenstrualDate PatientState
    AdmissionID ServiceEpisodeID ServiceEpisodeDescription Occupation AdditionalPatientHistory ReasonForVisit
    PatientSexNeutered""".split()
)
# The General Series module.
SERIES_KEYWORDS = frozenset(
    """SeriesInstanceUID Modality SeriesNumber SeriesDescription SeriesDescriptionCodeSequence BodyPartExamined
    Laterality SeriesDate SeriesTime PerformingPhysicianName ProtocolName OperatorsName PatientPosition
    AnatomicalOrientationType SmallestPixelValueInSeries LargestPixelValueInSeries RelatedSeriesSequence
    ReferencedPerformedProcedureStepSequence RequestAttributesSequence PerformedProcedureStepID
    PerformedProcedureStepStartDate PerformedProcedureStepStartTime PerformedProcedureStepEndDate
    PerformedProcedureStepEndTime PerformedProcedureStepDescription PerformedProtocolCodeSequence
    CommentsOnThePerformedProcedureStep TreatmentSessionUID""".split()
)
# Counts the store derives from what it holds; a file's own copy would contradict them, so it is not kept.
STORE_COUNTED = frozenset(
    {"NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "NumberOfSeriesRelatedInstances"}
)
# Instance field -> (metadata level, keyword). The summary fields of the image set, under AWS's DICOMTags names.
SUMMARY_TAGS = {
    "DICOMPatientId": ("patient", "PatientID"),
    "DICOMPatientName": ("patient", "PatientName"),
    "DICOMPatientBirthDate": ("patient", "PatientBirthDate"),
    "DICOMPatientSex": ("patient", "PatientSex"),
    "DICOMStudyInstanceUID": ("study", "StudyInstanceUID"),
    "DICOMStudyId": ("study", "StudyID"),
    "DICOMStudyDescription": ("study", "StudyDescription"),
    "DICOMAccessionNumber": ("study", "AccessionNumber"),
    "DICOMStudyDate": ("study", "StudyDate"),
    "DICOMStudyTime": ("study", "StudyTime"),
    "DICOMSeriesInstanceUID": ("series", "SeriesInstanceUID"),
    "DICOMSeriesModality": ("series", "Modality"),
    "DICOMSeriesBodyPart": ("series", "BodyPartExamined"),
    "DICOMSeriesNumber": ("series", "SeriesNumber"),
}
REQUIRED_UIDS = (("study", "StudyInstanceUID"), ("series", "SeriesInstanceUID"), ("instance", "SOPInstanceUID"))
DICOMDIR_CLASS_UID = "1.2.840.10008.1.3.10"
DIRECTORY_RECORD_SEQUENCE_TAG = 0x00041220  # what makes a file a DICOMDIR, whatever its file meta says
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


class SkipFile(Exception):
    """A file the import leaves out; `reason` says why in a few plain words and never quotes the file's values."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_not_a_dicomdir(sop_class: Any, has_directory_records: bool) -> None:
    """A DICOMDIR indexes other files and is no instance; it is known by its file meta's class or by its content."""
    if sop_class == DICOMDIR_CLASS_UID or has_directory_records:
        raise SkipFile("a DICOMDIR (a folder index, not an instance)")


def converted(convert: Callable[[], Instance]) -> Instance:
    """`convert()`, with a header that parsed but whose values cannot be decoded skipped as unreadable."""
    try:
        return convert()
    except SkipFile:
        raise
    except Exception as exc:
        raise SkipFile(f"unreadable: {type(exc).__name__}") from None


def to_instance(elements: Iterable[tuple[str, str, Any]], transfer_syntax: str | None) -> Instance:
    """The Instance of a header's (keyword, VR, JSON value) elements, whichever reader decoded them."""
    levels: dict[str, dict[str, Any]] = {"patient": {}, "study": {}, "series": {}, "instance": {}}
    vrs: dict[str, str] = {}
    for keyword, vr, value in elements:
        level = _level_of(keyword)
        levels[level][keyword] = value
        if level == "instance":
            vrs[keyword] = vr
    for level, keyword in REQUIRED_UIDS:
        _check_uid(levels[level].get(keyword), keyword)
    return Instance(
        sop_instance_uid=levels["instance"]["SOPInstanceUID"],
        series_instance_uid=levels["series"]["SeriesInstanceUID"],
        tags={name: _single(levels[level].get(keyword)) for name, (level, keyword) in SUMMARY_TAGS.items()},
        patient=levels["patient"],
        study=levels["study"],
        series=levels["series"],
        instance=levels["instance"],
        vrs=vrs,
        transfer_syntax_uid=transfer_syntax,
    )


def _level_of(keyword: str) -> str:
    if keyword in PATIENT_KEYWORDS:
        return "patient"
    if keyword in STUDY_KEYWORDS:
        return "study"
    if keyword in SERIES_KEYWORDS:
        return "series"
    return "instance"


def _check_uid(value: Any, keyword: str) -> None:
    if value is None:
        raise SkipFile(f"no {keyword}")
    if not isinstance(value, str) or len(value) > 64 or not _UID.match(value):
        raise SkipFile(f"{keyword} is not a valid UID")


def _single(value: Any) -> Any:
    """A summary field holds one value: the first of a multi-valued attribute."""
    return value[0] if isinstance(value, list) else value
