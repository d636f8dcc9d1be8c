"""The planner sends each criterion to the strongest place that declares it can answer, and says what ran where."""

import pytest

from imageset_search.datastores import capabilities as caps
from imageset_search.datastores.errors import ValidationException
from imageset_search.tools.criteria import Criterion
from imageset_search.tools.planner import NO_FILTER, Query, plan
from imageset_search.tools.refine import Refinements

PATIENT = Criterion("DICOMPatientId", {"values": [{"DICOMPatientId": "P1"}], "operator": "EQUAL"})
SERIES = Criterion("DICOMSeriesInstanceUID", {"values": [{"DICOMSeriesInstanceUID": "1.2"}], "operator": "EQUAL"})
PRIMARY = Criterion("isPrimary", {"values": [{"isPrimary": True}], "operator": "EQUAL"})
REFINED = Refinements(modality=("CT", "MR"), patient_name="doe", patient_sex="F", birth_date=("19000101", None))
SUMMARY = {
    "isPrimary": True,
    "DICOMTags": {
        "DICOMPatientId": "P1",
        "DICOMSeriesInstanceUID": "1.2",
        "DICOMSeriesModality": "CT",
        "DICOMPatientName": "Doe^Jane",
        "DICOMPatientSex": "F",
        "DICOMPatientBirthDate": "19500101",
    },
}


def test_nothing_declared_checks_every_refinement_and_third_filter_here():
    the_plan = plan(Query((PATIENT, SERIES, PRIMARY), REFINED))
    assert the_plan.refinements == {}
    assert [f["values"][0] for f in the_plan.service_criteria["filters"]] == [
        {"DICOMSeriesInstanceUID": "1.2"},
        {"DICOMPatientId": "P1"},
    ]
    assert len(the_plan.here) == 5 and the_plan.here[0].startswith("primary")
    assert the_plan.matches(SUMMARY)
    assert not the_plan.matches({**SUMMARY, "DICOMTags": {**SUMMARY["DICOMTags"], "DICOMPatientSex": "M"}})


def test_exact_capabilities_push_everything_and_nothing_is_checked_here():
    declared = {kind: caps.Capability(caps.EQUAL, caps.EXACT) for kind in caps.KINDS}
    the_plan = plan(Query((PATIENT, SERIES, PRIMARY), REFINED), declared)
    assert the_plan.matches is None and the_plan.here == ()
    assert the_plan.refinements == {
        "extra_filters": [PRIMARY.filter],
        "modality": ["CT", "MR"],
        "patient_name": "doe",
        "patient_sex": "F",
        "patient_birth_date": ["19000101", None],
    }
    assert "modality CT or MR" in the_plan.by_service and "patient sex F" in the_plan.by_service


def test_a_narrowing_capability_is_pushed_and_still_checked_here():
    declared = {caps.MODALITY: caps.Capability(caps.ANY_OF, caps.NARROWS)}
    the_plan = plan(Query((), Refinements(modality=("CT",), patient_sex="F")), declared)
    assert the_plan.refinements == {"modality": ["CT"]}
    assert the_plan.here == ("modality CT", "patient sex F")
    assert the_plan.by_service == ("modality CT",)
    assert the_plan.matches(SUMMARY)
    assert not the_plan.matches({**SUMMARY, "DICOMTags": {**SUMMARY["DICOMTags"], "DICOMSeriesModality": "MR"}})


def test_no_criteria_at_all_says_every_image_set():
    assert plan(Query()).by_service == (NO_FILTER,)


def test_refinements_are_checked_against_what_a_datastore_declares():
    declared = {caps.PATIENT_SEX: caps.Capability(caps.EQUAL, caps.EXACT)}
    assert caps.check_refinements({"patient_sex": "F"}, declared) == {"patient_sex": "F"}
    with pytest.raises(ValidationException, match="does not search the refinement 'modality'"):
        caps.check_refinements({"modality": ["CT"]}, declared)
    with pytest.raises(ValidationException, match="send 'M', 'F' or 'O'"):
        caps.check_refinements({"patient_sex": ""}, declared)
    with pytest.raises(ValueError):
        caps.Capability("fuzzy", caps.EXACT)
