"""serve-api's QIDO-RS routes, read by a third-party client (dicomweb-client) over real HTTP with SigV4 signatures,
checked against what SearchImageSets says about the same demo store."""

import gzip
import json
from collections import defaultdict

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint, walk  # noqa: F401

from imageset_search.datastores.dicomweb import dicom_json
from imageset_search.datastores.errors import AccessDeniedException, ValidationException
from imageset_search.datastores.local.qido import MAX_RECORDS, Query, STUDY_KEYS

DEMO = "12345678901234567890123456789012"


@pytest.fixture(scope="module")
def summaries(demo_store):
    """Every image set of the demo store as SearchImageSets lists it (newest update first)."""
    return [s for page in walk(demo_store, DEMO) for s in page["imageSetsMetadataSummaries"]]


@pytest.fixture(scope="module")
def primary_by_study(summaries):
    studies = defaultdict(list)
    for summary in summaries:
        if summary["isPrimary"]:
            studies[summary["DICOMTags"]["DICOMStudyInstanceUID"]].append(summary)
    return studies


@pytest.fixture
def qido(endpoint, aws_env):  # noqa: F811
    from imageset_search.datastores.dicomweb.auth import Auth
    from imageset_search.datastores.dicomweb.qido import QidoClient, QidoOptions

    return QidoClient(QidoOptions(f"{endpoint.url}/datastore/{DEMO}", Auth("sigv4", region="us-east-1")))


def uids(records, keyword="StudyInstanceUID"):
    return [dicom_json.value(record, keyword) for record in records]


def test_studies_are_the_primary_image_sets_studies_newest_updated_first(qido, primary_by_study):
    newest = {study: max(s["updatedAt"] for s in sets) for study, sets in primary_by_study.items()}
    expected = sorted(newest, key=lambda study: (-newest[study].timestamp(), study))
    records = qido.studies({})
    assert uids(records) == expected
    first = primary_by_study[expected[0]]
    assert dicom_json.value(records[0], "NumberOfStudyRelatedSeries") == len(first)
    assert sorted(dicom_json.values(records[0], "ModalitiesInStudy")) == sorted(
        {s["DICOMTags"].get("DICOMSeriesModality") for s in first}
    )
    assert records[0]["00100010"]["vr"] == "PN"  # the DICOM JSON model: tags, VRs, person names as objects


def test_a_non_primary_image_set_alone_does_not_make_a_study(summaries, primary_by_study):
    non_primary = [s for s in summaries if not s["isPrimary"]]
    assert non_primary, "the demo store has conflicting (non-primary) image sets"
    series = {s["DICOMTags"]["DICOMSeriesInstanceUID"] for sets in primary_by_study.values() for s in sets}
    assert all(s["imageSetId"] not in series for s in non_primary)


def test_limit_and_offset_page_through_the_same_order(qido):
    whole = uids(qido.studies({}))
    pages = [uids(qido.studies({}, limit=7, offset=offset)) for offset in range(0, len(whole) + 7, 7)]
    assert [uid for page in pages for uid in page] == whole
    assert pages[-1] == []


def test_modalities_and_a_date_range_match_as_the_summaries_say(qido, primary_by_study):
    def expected(modality, low, high):
        return {
            study
            for study, sets in primary_by_study.items()
            if any(s["DICOMTags"].get("DICOMSeriesModality") == modality for s in sets)
            and low <= sets[0]["DICOMTags"].get("DICOMStudyDate", "") <= high
        }

    found = uids(qido.studies({"ModalitiesInStudy": "MR", "StudyDate": "20100101-20241231"}))
    assert set(found) == expected("MR", "20100101", "20241231") and found
    assert set(uids(qido.studies({"00080061": "CT", "StudyDate": "-20151231"}))) == expected("CT", "", "20151231")


def test_patient_name_wildcards_match_in_any_case_and_ids_exactly(qido, primary_by_study):
    sets = next(iter(primary_by_study.values()))
    tags = sets[0]["DICOMTags"]
    family = tags["DICOMPatientName"].replace("^", " ").split()[-1]
    by_name = set(uids(qido.studies({"PatientName": f"*{family.upper()}*"})))
    expected = {
        study
        for study, s in primary_by_study.items()
        if family.casefold() in s[0]["DICOMTags"]["DICOMPatientName"].casefold()
    }
    assert by_name == expected and tags["DICOMStudyInstanceUID"] in by_name
    assert set(uids(qido.studies({"PatientID": tags["DICOMPatientId"]}))) == {
        study for study, s in primary_by_study.items() if s[0]["DICOMTags"]["DICOMPatientId"] == tags["DICOMPatientId"]
    }
    two = list(primary_by_study)[:2]
    assert set(uids(qido.studies({"StudyInstanceUID": ",".join(two)}))) == set(two)
    assert qido.studies({"PatientID": tags["DICOMPatientId"] + "X"}) == []


def test_series_come_by_series_number_and_instances_are_the_image_sets(qido, demo_store, primary_by_study):
    study, sets = max(primary_by_study.items(), key=lambda item: len(item[1]))
    series = qido.series(study, {})
    numbers = [dicom_json.value(record, "SeriesNumber") for record in series]
    assert numbers == sorted(numbers) and set(uids(series, "SeriesInstanceUID")) == {
        s["DICOMTags"]["DICOMSeriesInstanceUID"] for s in sets
    }
    one = sets[0]
    document = json.loads(gzip.decompress(demo_store.get_image_set_metadata(DEMO, one["imageSetId"])))
    (series_node,) = document["Study"]["Series"].values()
    instances = qido.instances(study, one["DICOMTags"]["DICOMSeriesInstanceUID"])
    assert set(uids(instances, "SOPInstanceUID")) == set(series_node["Instances"])
    modality = one["DICOMTags"]["DICOMSeriesModality"]
    assert {dicom_json.value(r, "Modality") for r in qido.series(study, {"Modality": modality})} == {modality}


def test_an_unknown_key_is_refused_without_echoing_it(endpoint, aws_env):  # noqa: F811
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{endpoint.url}/datastore/{DEMO}/studies?SecretPatientWord=1"
    request = AWSRequest("GET", url)
    SigV4Auth(Credentials("AKID", "secret"), "medical-imaging", "us-east-1").add_auth(request)
    answer = requests.get(url, headers=dict(request.headers), timeout=10)
    assert answer.status_code == 400 and "SecretPatientWord" not in answer.text
    assert "PatientName" in answer.json()["message"]


def test_requests_without_a_signature_are_refused(endpoint):  # noqa: F811
    from imageset_search.datastores.dicomweb.qido import QidoClient, QidoOptions

    with pytest.raises(AccessDeniedException, match="HTTP 403"):
        QidoClient(QidoOptions(f"{endpoint.url}/datastore/{DEMO}")).studies({})


def test_a_malformed_date_range_is_a_400(qido):
    with pytest.raises(ValidationException, match="HTTP 400"):
        qido.studies({"StudyDate": "2019"})


def test_no_query_reaches_past_ten_thousand_records():
    records = [{"StudyInstanceUID": str(n)} for n in range(MAX_RECORDS + 5)]
    assert len(Query.parse({}, STUDY_KEYS).page(records)) == MAX_RECORDS
    assert Query.parse({"offset": str(MAX_RECORDS - 1), "limit": "10"}, STUDY_KEYS).page(records) == [records[-6]]
