"""Hand-built Instance records for the local store's tests (the DICOM importer is tested on its own): a support
module, imported by the tests that need it."""

from itertools import count

from imageset_search.datastores.local.records import Instance

_serial = count(1)


def make_instance(
    series: str = "1.2.3.1",
    study: str = "1.2.3",
    patient: str = "PAT-1",
    sop: str | None = None,
    study_date: str | None = "20230115",
    study_time: str | None = "101500",
    accession: str | None = "ACC-1",
    study_id: str | None = "S1",
    series_number: int | None = 1,
    **more_tags,
) -> Instance:
    """One instance of `series` with the grouping tags given; every other argument a DICOMTags key -> value."""
    sop = sop or f"{series}.{next(_serial)}"
    tags = {
        "DICOMPatientId": patient,
        "DICOMStudyInstanceUID": study,
        "DICOMStudyDate": study_date,
        "DICOMStudyTime": study_time,
        "DICOMAccessionNumber": accession,
        "DICOMStudyId": study_id,
        "DICOMSeriesInstanceUID": series,
        "DICOMSeriesNumber": series_number,
        **more_tags,
    }
    return Instance(
        sop_instance_uid=sop,
        series_instance_uid=series,
        tags=tags,
        patient={"PatientID": patient, "PatientName": more_tags.get("DICOMPatientName")},
        study={"StudyInstanceUID": study, "StudyDate": study_date, "AccessionNumber": accession},
        series={"SeriesInstanceUID": series, "SeriesNumber": series_number},
        instance={"SOPInstanceUID": sop, "InstanceNumber": 1},
        vrs={"SOPInstanceUID": "UI", "InstanceNumber": "IS"},
        transfer_syntax_uid="1.2.840.10008.1.2.1",
    )
