"""The AWS backend's DICOMweb path, for real: an MCP client session over AwsDatastore (boto3 and dicomweb-client,
SigV4-signed) against serve-api's HealthImaging and QIDO-RS routes over the demo store. Every walk is checked
against the same walk with QIDO-RS turned off (the plain scan), image set by image set."""

from collections import Counter

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401
from mcp_helpers import call, session, store_summaries, walk

from imageset_search.datastores.aws import qido_path
from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.local import qido as local_qido
from imageset_search.datastores.testbed.faults import Faults

pytestmark = pytest.mark.anyio
DEMO = "12345678901234567890123456789012"
SIZES = [(10,), (1, 3, 7), (50,)]


@pytest.fixture
def datastores(endpoint, aws_env):  # noqa: F811
    from imageset_search.datastores.aws.datastore import AwsDatastore

    return (
        AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=1),
        AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=1, qido=False),
    )


@pytest.fixture(scope="module")
def brain_mr_year(demo_store):
    """The study year with the most brain MR image sets in the demo store (it is built relative to today)."""
    years = Counter(
        s["DICOMTags"].get("DICOMStudyDate", "")[:4]
        for s in store_summaries(demo_store)
        if s["DICOMTags"].get("DICOMSeriesModality") == "MR" and s["DICOMTags"].get("DICOMSeriesBodyPart") == "BRAIN"
    )
    return years.most_common(1)[0][0]


@pytest.fixture(scope="module")
def a_patient_name(demo_store):
    """A patient with more than one primary study, written as a person would: given name first, lower case."""
    studies = Counter()
    names = {}
    for s in store_summaries(demo_store):
        if s["isPrimary"] and s["DICOMTags"].get("DICOMPatientName"):
            names[s["DICOMTags"]["DICOMPatientId"]] = s["DICOMTags"]["DICOMPatientName"]
            studies[s["DICOMTags"]["DICOMPatientId"]] += 1
    patient = studies.most_common(1)[0][0]
    return " ".join(reversed(names[patient].replace("^", " ").split())).lower()


async def both_walks(datastores, arguments, sizes):
    qido, plain = datastores
    async with session(qido) as client:
        narrowed = await walk(client, dict(arguments, detail="full"), sizes)
    async with session(plain) as client:
        scanned = await walk(client, dict(arguments, detail="full"), sizes)
    return narrowed, scanned


@pytest.mark.parametrize("sizes", SIZES)
async def test_the_qido_path_finds_every_image_set_the_scan_finds_once(
    datastores,
    endpoint,  # noqa: F811
    brain_mr_year,
    a_patient_name,
    sizes,
):
    searches = [
        {"modality": "MR", "body_part": "brain", "study_date": brain_mr_year},
        {"patient_name": a_patient_name},
        {"modality": "CT"},
        {"modality": "MR", "is_primary": True},
    ]
    for arguments in searches:
        endpoint.faults = Faults(operations="SearchDICOMStudies")
        narrowed, scanned = await both_walks(datastores, arguments, sizes)
        assert len(narrowed) == len(set(narrowed)), f"{arguments}: an image set came twice"
        assert sorted(narrowed) == sorted(scanned) and narrowed, arguments
        assert endpoint.faults.requests >= 1, f"{arguments}: QIDO-RS was not asked"


async def test_the_pages_of_a_named_patient_and_of_brain_mris_take_at_most_five_calls(
    datastores,
    endpoint,  # noqa: F811
    brain_mr_year,
    a_patient_name,
):
    qido, _ = datastores
    for arguments in (
        {"patient_name": a_patient_name},
        {"modality": "MR", "body_part": "brain", "study_date": brain_mr_year},
    ):
        token, pages = None, 0
        async with session(qido) as client:
            while pages < 20:
                endpoint.faults = Faults()
                content, text, is_error = await call(client, {"next_token": token} if token else arguments)
                assert not is_error, text
                assert endpoint.faults.requests <= 5, (
                    f"{arguments}: page {pages + 1} took {endpoint.faults.requests} calls"
                )
                pages += 1
                token = content.get("next_token")
                if not token:
                    break
        assert "modality MR" in content["searched_by_service"] or "patient name" in " ".join(
            content["searched_by_service"]
        )


@pytest.mark.parametrize(
    "arguments, reason",
    [
        ({"modality": "MR", "sort_by": "createdAt", "sort_order": "ascending"}, qido_path.SORTED),
        ({"modality": "MR", "is_primary": False}, qido_path.NON_PRIMARY),
        ({"patient_name": "Jérôme"}, qido_path.UNPLAIN_NAME),
        ({"modality": ["CT", "MR"]}, qido_path.NOTHING_MATCHED),
    ],
)
async def test_what_qido_cannot_answer_whole_is_scanned_and_said(datastores, endpoint, arguments, reason):  # noqa: F811
    endpoint.faults = Faults(operations="SearchDICOMStudies")
    narrowed, scanned = await both_walks(datastores, arguments, (7,))
    assert narrowed == scanned
    assert endpoint.faults.requests == 0
    async with session(datastores[0]) as client:
        content, _, _ = await call(client, dict(arguments, max_items=2))
    assert reason in content["warnings"]


async def test_a_refused_qido_falls_back_to_the_scan(datastores, endpoint):  # noqa: F811
    endpoint.faults = Faults(fail="1-", fail_kind="deny", operations="SearchDICOMStudies")
    narrowed, scanned = await both_walks(datastores, {"modality": "MR"}, (10,))
    assert narrowed == scanned and narrowed
    async with session(datastores[0]) as client:
        content, _, _ = await call(client, {"modality": "MR"})
    assert qido_path.REFUSED in content["warnings"]


async def test_more_studies_than_qido_returns_is_scanned(datastores, endpoint, monkeypatch):  # noqa: F811
    monkeypatch.setattr(qido_path, "STUDY_BLOCK", 3)
    monkeypatch.setattr(qido_path, "MAX_RECORDS", 5)
    monkeypatch.setattr(local_qido, "MAX_RECORDS", 5)
    narrowed, scanned = await both_walks(datastores, {"modality": "CT"}, (10,))
    assert narrowed == scanned and len(narrowed) > 5
    async with session(datastores[0]) as client:
        content, _, _ = await call(client, {"modality": "CT"})
    assert qido_path.TOO_MANY in content["warnings"]


async def test_small_study_blocks_walk_on_across_blocks(datastores, monkeypatch):
    monkeypatch.setattr(qido_path, "STUDY_BLOCK", 2)
    narrowed, scanned = await both_walks(datastores, {"modality": "CT"}, (4,))
    assert sorted(narrowed) == sorted(scanned) and len(narrowed) == len(set(narrowed))


def test_a_token_is_bound_to_its_search_and_refused_when_damaged(datastores):
    qido, _ = datastores
    first = qido.search_image_sets(DEMO, None, max_results=1, refinements={"modality": ["CT"]})
    token = first["nextToken"]
    assert token.startswith(qido_path.TOKEN_PREFIX)
    second = qido.search_image_sets(DEMO, None, max_results=1, next_token=token, refinements={"modality": ["CT"]})
    assert second["imageSetsMetadataSummaries"] != first["imageSetsMetadataSummaries"]
    with pytest.raises(ValidationException, match="another search"):
        qido.search_image_sets(DEMO, None, max_results=1, next_token=token, refinements={"modality": ["MR"]})
    with pytest.raises(ValidationException, match="damaged"):
        qido.search_image_sets(
            DEMO, None, max_results=1, next_token=token[:-3] + "!!!", refinements={"modality": ["CT"]}
        )


def test_on_aws_qido_goes_to_the_regions_dicomweb_host_signed_for_medical_imaging(aws_env):  # noqa: F811
    from imageset_search.datastores.aws.datastore import AwsDatastore

    client = AwsDatastore(region="eu-west-1")._qido_client(DEMO)
    assert client.options.url == f"https://dicom-medical-imaging.eu-west-1.amazonaws.com/datastore/{DEMO}"
    assert (client.options.auth.kind, client.options.auth.region) == ("sigv4", "eu-west-1")
    with pytest.raises(ValidationException, match="32 characters"):
        AwsDatastore(region="eu-west-1")._qido_client("../../other")
