"""get_image_set_metadata over the real local store: the demo datastore, and a 12-instance series written as DICOM."""

import gzip
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID
from endpoint_fixtures import aws, aws_env, endpoint, running_endpoint  # noqa: F401
from imageset_search.datastores.errors import InternalServerException, ResourceNotFoundException
from imageset_search.datastores.local.demo import (
    DOCUMENTED_PATIENT,
    EXAMPLE_4_SERIES_UID,
    KINDS,
    Patient,
    Series,
    Study,
    Upload,
    write_upload,
)
from imageset_search.datastores.local.importer import read_instance
from imageset_search.datastores.local.store import LocalStore
from imageset_search.tools.errors import SearchError, describe_validation_error
from imageset_search.tools.metadata import (
    GET_IMAGE_SET_METADATA,
    INSTANCE_BUDGET,
    MAX_INSTANCES,
    MetadataArgs,
    decode_document,
    get_image_set_metadata,
    metadata_summary,
    summarize,
)
from imageset_search.tools.settings import Settings

SETTINGS = Settings(tz=ZoneInfo("UTC"))
BIG_SERIES = 12
PATIENT = Patient("PAT-META-1", "Doe^Jane", "19700101", "F")


def run(store, **arguments):
    return get_image_set_metadata(store, MetadataArgs(**arguments), SETTINGS)


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[LocalStore, str]:
    """A store holding one CT series of 12 instances, written as DICOM files and read back by the importer."""
    folder = tmp_path_factory.mktemp("big-series")
    study = Study(PATIENT, "2.25.1001", "77", "ACC1", "20240105", "101500", "CT CHEST W CONTRAST", KINDS[0])
    upload = Upload(
        datetime(2024, 1, 5, 12, tzinfo=UTC),
        Series(study, "2.25.1001.1", 3, "AXIAL 5MM"),
        tuple(f"2.25.1001.1.{number}" for number in range(1, BIG_SERIES + 1)),
    )
    store = LocalStore(folder / "big.sqlite3")
    datastore_id = store.create_datastore("big")
    instances = [read_instance(path) for path in write_upload(folder / "dicom", 0, upload)]
    (image_set_id,) = store.add_instances(datastore_id, instances).image_set_ids
    yield store, image_set_id
    store.close()


@pytest.fixture(scope="module")
def reimported(demo_store) -> dict:
    criteria = {"filters": [{"values": [{"DICOMSeriesInstanceUID": EXAMPLE_4_SERIES_UID}], "operator": "EQUAL"}]}
    (found,) = demo_store.search_image_sets(DEMO_DATASTORE_ID, criteria)["imageSetsMetadataSummaries"]
    return found


def test_summary_matches_the_search_summary_of_the_same_image_set(demo_store):
    summary = run(demo_store, image_set_id=DOCUMENTED_IMAGE_SET_ID)
    (found,) = demo_store.search_image_sets(
        DEMO_DATASTORE_ID, {"filters": [{"values": [{"DICOMPatientId": "SUBJECT08701"}], "operator": "EQUAL"}]}
    )["imageSetsMetadataSummaries"]
    tags = found["DICOMTags"]
    assert summary.datastore_id == DEMO_DATASTORE_ID and summary.version == found["version"]
    assert summary.patient.patient_id == tags["DICOMPatientId"]
    assert summary.patient.patient_name == tags["DICOMPatientName"]
    assert summary.patient.patient_birth_date == tags["DICOMPatientBirthDate"]
    assert summary.study.study_instance_uid == tags["DICOMStudyInstanceUID"]
    assert summary.study.study_date == tags["DICOMStudyDate"] and summary.study.study_time == tags["DICOMStudyTime"]
    (series,) = summary.series
    assert series.series_instance_uid == tags["DICOMSeriesInstanceUID"]
    assert summary.instance_count == series.instance_count == 1
    compact = summary.compact()
    assert "instances" not in compact["series"][0] and "has_more" not in compact and "warnings" not in compact


def test_series_fields_and_instance_order(big):
    store, image_set_id = big
    summary = run(store, image_set_id=image_set_id, include_instances=True, max_instances=MAX_INSTANCES)
    (series,) = summary.series
    assert (series.modality, series.body_part, series.series_number) == ("CT", "CHEST", 3)
    assert series.series_description == "AXIAL 5MM" and series.instance_count == BIG_SERIES
    assert summary.study.accession_number == "ACC1" and summary.study.study_description == "CT CHEST W CONTRAST"
    assert [brief.instance_number for brief in series.instances] == list(range(1, BIG_SERIES + 1))
    assert summary.has_more is False and summary.next_instance_offset is None


def test_instances_page_by_offset_without_gaps_or_repeats(big):
    store, image_set_id = big
    seen, offset, pages = [], 0, 0
    while True:
        page = run(store, image_set_id=image_set_id, include_instances=True, max_instances=5, instance_offset=offset)
        pages += 1
        assert page.instance_offset == offset and page.instances_listed == len(page.series[0].instances)
        seen += [brief.sop_instance_uid for brief in page.series[0].instances]
        if not page.has_more:
            break
        assert f"instance_offset={page.next_instance_offset}" in GET_IMAGE_SET_METADATA.text(page)
        offset = page.next_instance_offset
    assert pages == 3 and len(seen) == len(set(seen)) == BIG_SERIES


def test_an_offset_past_the_end_says_the_valid_range(big):
    store, image_set_id = big
    with pytest.raises(SearchError, match="from 0 to 11"):
        run(store, image_set_id=image_set_id, include_instances=True, instance_offset=BIG_SERIES)


@pytest.mark.parametrize("paging", [{"instance_offset": 5}, {"max_instances": 5}])
def test_paging_without_include_instances_is_a_fixable_error(big, paging):
    store, image_set_id = big
    expected = rf"^paging the instances \({next(iter(paging))}\) needs include_instances=true"
    with pytest.raises(SearchError, match=expected):
        run(store, image_set_id=image_set_id, **paging)


def test_paging_defaults_sent_without_include_instances_are_harmless(big):
    store, image_set_id = big
    summary = run(store, image_set_id=image_set_id, include_instances=False, instance_offset=0, max_instances=50)
    assert summary.instances_listed is None and summary.instance_count == BIG_SERIES


@pytest.mark.parametrize("max_instances", [0, MAX_INSTANCES + 1])
def test_max_instances_is_capped(max_instances):
    with pytest.raises(ValidationError):
        MetadataArgs(image_set_id=DOCUMENTED_IMAGE_SET_ID, include_instances=True, max_instances=max_instances)


def test_asked_attributes_come_from_each_level(big):
    store, image_set_id = big
    keywords = ["PatientSex", "StudyID", "SeriesDescription", "Rows", "InstanceNumber", "Manufacturer"]
    summary = run(store, image_set_id=image_set_id, attributes=keywords)
    (series,) = summary.series
    assert summary.patient.attributes == {"PatientSex": "F"}
    assert summary.study.attributes == {"StudyID": "77"}
    assert series.attributes == {"SeriesDescription": "AXIAL 5MM"}
    assert series.instance_values == {"Rows": [2], "InstanceNumber": list(range(1, 11))}  # first 10 distinct
    assert summary.not_found == ["Manufacturer"]
    assert "Not in this image set: Manufacturer." in GET_IMAGE_SET_METADATA.text(summary)


def test_listed_instances_carry_the_asked_attributes(big):
    store, image_set_id = big
    summary = run(
        store, image_set_id=image_set_id, attributes=["SOPClassUID", "Rows"], include_instances=True, max_instances=2
    )
    (series,) = summary.series
    assert series.instance_values is None
    assert [brief.attributes for brief in series.instances] == [{"SOPClassUID": KINDS[0].sop_class, "Rows": 2}] * 2


def test_a_wrong_keyword_is_refused_with_a_suggestion_and_no_echo():
    with pytest.raises(ValidationError) as caught:
        MetadataArgs(image_set_id=DOCUMENTED_IMAGE_SET_ID, attributes=["SliceThicknes", DOCUMENTED_PATIENT.patient_id])
    message = describe_validation_error(caught.value)
    assert "did you mean SliceThickness?" in message and "SliceThicknes'" not in message
    assert DOCUMENTED_PATIENT.patient_id not in message


def test_repeated_keywords_are_asked_once():
    args = MetadataArgs(image_set_id=DOCUMENTED_IMAGE_SET_ID, attributes=["Rows", "Columns", "Rows"])
    assert args.attributes == ["Rows", "Columns"]


def test_each_version_is_summarized_as_it_was(demo_store, reimported):
    image_set_id = reimported["imageSetId"]
    first = run(demo_store, image_set_id=image_set_id, version=1)
    latest = run(demo_store, image_set_id=image_set_id)
    assert (first.version, latest.version) == (1, 2)
    assert first.instance_count < latest.instance_count


def test_unknown_image_set_and_version_are_not_found(demo_store, reimported):
    with pytest.raises(ResourceNotFoundException):
        run(demo_store, image_set_id="0" * 32)
    with pytest.raises(ResourceNotFoundException, match="versions are 1 to 2"):
        run(demo_store, image_set_id=reimported["imageSetId"], version=3)


def test_a_bad_datastore_id_is_a_fixable_error(demo_store):
    with pytest.raises(SearchError, match="32 lower-case"):
        run(demo_store, datastore_id="demo", image_set_id=DOCUMENTED_IMAGE_SET_ID)


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError) as caught:
        MetadataArgs.model_validate({"image_set_id": DOCUMENTED_IMAGE_SET_ID, "instances": True})
    assert "an unknown argument of 9 characters" in describe_validation_error(caught.value)


def document_of(store, datastore_id, image_set_id) -> dict:
    return decode_document(store.get_image_set_metadata(datastore_id, image_set_id))


def test_the_budget_cuts_a_page_short_but_lists_at_least_one(big):
    store, image_set_id = big
    datastore_id = store.resolve_datastore("big")
    document = document_of(store, datastore_id, image_set_id)
    properties = store.get_image_set(datastore_id, image_set_id)
    args = MetadataArgs(image_set_id=image_set_id, include_instances=True, max_instances=BIG_SERIES)
    cut = summarize(document, args, datastore_id, properties, budget=300)
    assert 1 <= cut.instances_listed < BIG_SERIES and cut.has_more is True
    assert cut.next_instance_offset == cut.instances_listed and "fewer than max_instances" in cut.warnings[0]
    tiny = summarize(document, args, datastore_id, properties, budget=1)
    assert tiny.instances_listed == 1


def test_huge_values_are_replaced_by_a_note(big):
    store, image_set_id = big
    datastore_id = store.resolve_datastore("big")
    document = document_of(store, datastore_id, image_set_id)
    series = next(iter(document["Study"]["Series"].values()))
    series["DICOM"]["ReferencedImageSequence"] = [{"ReferencedSOPInstanceUID": "2.25." + "9" * 60}] * 40
    series["DICOM"]["SeriesDescription"] = "long " * 200
    series["DICOM"]["ProtocolName"] = "short enough"
    keywords = ["ReferencedImageSequence", "SeriesDescription", "ProtocolName"]
    args = MetadataArgs(image_set_id=image_set_id, attributes=keywords)
    summary = summarize(document, args, datastore_id, store.get_image_set(datastore_id, image_set_id))
    shown = summary.series[0].attributes
    assert shown["ReferencedImageSequence"].startswith("(omitted: a sequence of 40 items")
    assert shown["SeriesDescription"] == summary.series[0].series_description == "(omitted: a value, 1000 characters)"
    assert shown["ProtocolName"] == "short enough"


def test_odd_value_shapes_still_give_plain_fields(big):
    """Documents from elsewhere may hold numbers, person-name objects or several values where text is usual."""
    store, image_set_id = big
    datastore_id = store.resolve_datastore("big")
    document = document_of(store, datastore_id, image_set_id)
    document["Patient"]["DICOM"]["PatientName"] = {"Alphabetic": "Doe^Jane"}
    document["Study"]["DICOM"]["StudyID"] = 77
    (series,) = document["Study"]["Series"].values()
    series["DICOM"]["SeriesDescription"] = ["AXIAL", "5MM"]
    series["DICOM"]["BodyPartExamined"] = [{"CodeValue": "51185008"}]
    next(iter(series["Instances"].values()))["DICOM"]["InstanceNumber"] = "7"
    args = MetadataArgs(image_set_id=image_set_id, include_instances=True)
    summary = summarize(document, args, datastore_id, store.get_image_set(datastore_id, image_set_id))
    assert (summary.patient.patient_name, summary.study.study_id) == ("Doe^Jane", "77")
    assert summary.series[0].series_description == "AXIAL\\5MM"
    assert summary.series[0].body_part == '[{"CodeValue": "51185008"}]'
    assert "7" in [brief.instance_number for brief in summary.series[0].instances]


def test_study_level_image_sets_page_across_their_series(big):
    """Image sets made before HealthImaging went series-level may hold several series; offsets run across them."""
    store, image_set_id = big
    datastore_id = store.resolve_datastore("big")
    document = document_of(store, datastore_id, image_set_id)
    all_series = document["Study"]["Series"]
    (first_uid,) = all_series
    second = json.loads(json.dumps(all_series[first_uid]))
    second["DICOM"].update(SeriesInstanceUID="2.25.1001.2", SeriesNumber=4, Modality="SR")
    second["Instances"] = {f"2.25.1001.2.{n}": dict(i, DICOM=dict(i["DICOM"], InstanceNumber=n))
                           for n, i in enumerate(list(second["Instances"].values())[:3], start=1)}  # fmt: skip
    all_series["2.25.1001.2"] = second
    properties = store.get_image_set(datastore_id, image_set_id)
    args = MetadataArgs(image_set_id=image_set_id, include_instances=True, max_instances=5, instance_offset=10)
    page = summarize(document, args, datastore_id, properties)
    assert [s.series_instance_uid for s in page.series] == [first_uid, "2.25.1001.2"]
    assert [len(s.instances) for s in page.series] == [2, 3] and page.instance_count == BIG_SERIES + 3
    assert page.has_more is False and "CT CHEST, SR" in GET_IMAGE_SET_METADATA.text(page)


def test_the_largest_page_of_long_attributes_stays_within_the_budget(big):
    store, image_set_id = big
    datastore_id = store.resolve_datastore("big")
    document = document_of(store, datastore_id, image_set_id)
    (series,) = document["Study"]["Series"].values()
    template = next(iter(series["Instances"].values()))
    long_text = "X" * 290
    for number in range(MAX_INSTANCES):
        dicom = dict(template["DICOM"], InstanceNumber=number, ImageComments=long_text, DerivationDescription=long_text)
        series["Instances"][f"2.25.5{number}"] = dict(template, DICOM=dicom)
    args = MetadataArgs(
        image_set_id=image_set_id,
        attributes=["ImageComments", "DerivationDescription"],
        include_instances=True,
        max_instances=MAX_INSTANCES,
    )
    summary = summarize(document, args, datastore_id, store.get_image_set(datastore_id, image_set_id))
    assert summary.has_more is True and summary.instances_listed < MAX_INSTANCES
    assert len(json.dumps(summary.compact())) < INSTANCE_BUDGET + 5_000


def test_plain_json_is_accepted_and_garbage_is_a_datastore_error():
    assert decode_document(b'{"SchemaVersion": "1.1"}') == {"SchemaVersion": "1.1"}
    assert decode_document(gzip.compress(b'{"a": 1}')) == {"a": 1}
    for blob in (b"\x1f\x8bnot gzip", b"not json", gzip.compress(b"[1, 2]")):
        with pytest.raises(InternalServerException):
            decode_document(blob)


def test_the_resource_function_gives_the_compact_summary(demo_store, reimported):
    found = metadata_summary(demo_store, DEMO_DATASTORE_ID, reimported["imageSetId"], "1")
    assert found["version"] == 1 and found["datastore_id"] == DEMO_DATASTORE_ID
    assert "instances" not in found["series"][0]
    json.dumps(found)  # plain JSON types only


@pytest.mark.parametrize(
    "address", [("demo", DOCUMENTED_IMAGE_SET_ID, None), (DEMO_DATASTORE_ID, "x", None),
                (DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID, "latest")],
)  # fmt: skip
def test_the_resource_function_refuses_bad_addresses(demo_store, address):
    with pytest.raises(SearchError):
        metadata_summary(demo_store, *address)


def test_the_text_names_no_patient_values(big):
    store, image_set_id = big
    text = GET_IMAGE_SET_METADATA.text(run(store, image_set_id=image_set_id))
    assert "include_instances=true" in text and "{" not in text
    for value in (PATIENT.patient_id, PATIENT.name, PATIENT.birth_date, "2.25.1001"):
        assert value not in text


def test_aws_over_http_gives_the_same_summary(demo_store, aws, reimported):
    """boto3 hands over the gzip blob as the service sends it; the summary over HTTP equals the local one."""
    arguments = {"image_set_id": reimported["imageSetId"], "attributes": ["Rows"], "include_instances": True}
    assert run(aws, **arguments) == run(demo_store, **arguments)
