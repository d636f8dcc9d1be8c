"""search_image_sets through a real in-memory MCP client session over the demo datastore."""

import pytest
from mcp_helpers import MASKED, call, example_criteria, image_set_ids, service_walk, session, store_summaries, walk

from conftest import DOCUMENTED_IMAGE_SET_ID
from endpoint_fixtures import aws, aws_env, endpoint, running_endpoint  # noqa: F401

pytestmark = pytest.mark.anyio


async def test_tool_is_listed_read_only_with_schemas(demo_store):
    async with session(demo_store) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    tool = tools["search_image_sets"]
    assert tool.annotations.read_only_hint and tool.annotations.idempotent_hint
    assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False
    assert "oneOf" not in tool.input_schema
    assert {"patient_id", "study_date", "search_criteria", "next_token"} <= set(tool.input_schema["properties"])
    assert tool.output_schema["type"] == "object" and "next_token" in tool.output_schema["properties"]
    assert "next_token" in tool.description and "modality" in tool.description


async def test_example_1_verbatim_finds_exactly_the_documented_image_set(demo_store):
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"search_criteria": example_criteria(1), "detail": "full"})
    assert not is_error, text
    assert image_set_ids(content) == [DOCUMENTED_IMAGE_SET_ID]
    summary = content["image_sets"][0]
    assert summary["DICOMTags"]["DICOMPatientName"] == "Melissa844 Huel628"
    assert summary["createdAt"] == "2022-12-06T21:40:59.429000+00:00"
    assert "Found 1 image set in datastore" in text and DOCUMENTED_IMAGE_SET_ID in text


@pytest.mark.parametrize("number", [2, 3, 4])
async def test_examples_2_to_4_verbatim_match_the_datastore(demo_store, number):
    criteria = example_criteria(number)
    async with session(demo_store) as client:
        found = await walk(client, {"search_criteria": criteria, "detail": "full"}, [50])
    assert found == service_walk(demo_store, criteria)
    assert found, "the demo datastore holds image sets meeting every example"
    if number == 2:
        assert DOCUMENTED_IMAGE_SET_ID in found


async def test_flat_patient_id_groups_under_the_study(demo_store):
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"patient_id": " SUBJECT08701 "})
    assert not is_error, text
    [study] = content["studies"]
    assert study["study_instance_uid"] == "1.2.840.99999999.84710745.943275268089"
    assert study["patient_name"] == "Melissa844 Huel628" and study["study_date"] == "19991122"
    assert [item["image_set_id"] for item in study["image_sets"]] == [DOCUMENTED_IMAGE_SET_ID]
    assert content["has_more"] is False and "next_token" not in content


async def test_loose_study_date_is_read_and_said_back(demo_store):
    async with session(demo_store) as client:
        content, text, is_error = await call(
            client, {"search_criteria": {"filters": [{"values": [{"DICOMStudyDateAndTime": "November 1999"}],
                                                          "operator": "EQUAL"}]}, "detail": "full", "max_items": 50}
        )  # fmt: skip
    assert not is_error, text
    assert DOCUMENTED_IMAGE_SET_ID in image_set_ids(content)
    dates = {item["DICOMTags"]["DICOMStudyDate"] for item in content["image_sets"]}
    assert all("19991101" <= day <= "19991130" for day in dates)
    assert any("1999-11-01" in line and "1999-11-30" in line for line in content["interpreted"])


async def test_refinements_are_searched_by_the_local_datastore_and_say_so(demo_store):
    summaries = store_summaries(demo_store)
    expected = [s["imageSetId"] for s in summaries if s["DICOMTags"].get("DICOMSeriesModality") in ("CT", "MR")]
    async with session(demo_store) as client:
        found = await walk(client, {"modality": ["ct", "MR"], "detail": "full"}, [7, 3, 11])
        content, _, _ = await call(client, {"modality": "CT"})
    assert found == expected and expected
    assert content["searched_by_service"] == ["every image set (no filter)", "modality CT"] or content[
        "searched_by_service"
    ] == ["modality CT"]
    assert not content.get("filtered_here") and "scan" not in content


async def test_patient_name_ignores_order_case_and_separators(demo_store):
    async with session(demo_store) as client:
        for name in ("melissa huel", "HUEL628^Melissa844", "Huel Mel"):
            content, text, is_error = await call(client, {"patient_name": name, "detail": "full", "max_items": 50})
            assert not is_error, text
            assert DOCUMENTED_IMAGE_SET_ID in image_set_ids(content), name


@pytest.mark.parametrize("backend", ["local", "aws"])
async def test_a_third_criterion_is_searched_by_the_local_datastore_and_checked_here_on_aws(demo_store, aws, backend):
    summaries = store_summaries(demo_store)
    target = next(s for s in summaries if s["DICOMTags"].get("DICOMAccessionNumber") and not s["isPrimary"])
    tags = target["DICOMTags"]
    args = {
        "patient_id": tags["DICOMPatientId"],
        "accession_number": tags["DICOMAccessionNumber"],
        "is_primary": False,
        "detail": "full",
    }
    async with session(demo_store if backend == "local" else aws) as client:
        content, text, is_error = await call(client, args)
    assert not is_error, text
    assert target["imageSetId"] in image_set_ids(content)
    assert all(item["isPrimary"] is False for item in content["image_sets"])
    if backend == "local":
        assert len(content["searched_by_service"]) == 3 and not content["filtered_here"]
    else:
        assert len(content["searched_by_service"]) == 2 and content["filtered_here"] == ["primary false"]


async def test_a_scan_budget_stops_with_a_resumable_token(demo_store, aws):
    """A datastore that does not search modality itself (here AWS's SearchImageSets): the server scans."""
    async with session(aws, scan_budget=60) as client:
        content, text, _ = await call(client, {"modality": "XA-not-in-demo"})
        assert content["count"] == 0 and content["has_more"] is True
        assert content["scan"]["finished"] is False and "Not finished" in text
        scanned = content["scan"]["scanned"]
        while content["has_more"]:
            content, _, _ = await call(client, {"next_token": content["next_token"]})
            scanned += content["scan"]["scanned"]
    assert scanned == len(store_summaries(demo_store))


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"patient_idd": "X"}, "an unknown argument of 11 characters, did you mean 'patient_id'?"),
        ({"patientID": "X"}, "unknown argument 'patientID': did you mean 'patient_id'?"),
        (
            {"search_criteria": {"filters": [], "sortt": 1}},
            "an unknown key of 5 characters at search_criteria, did you mean 'sort'?",
        ),
        ({"max_items": "many"}, "max_items"),
        ({"max_items": 500}, "max_items"),
        ({"series_instance_uid": "1.2.abc"}, "series_instance_uid"),
        ({"study_date": "the day the music died"}, "study_date"),
        ({"next_token": "garbage-token"}, "next_token is not valid"),
        ({"patient_id": "X", "search_criteria": example_criteria(1)}, "not both"),
        ({"sort_order": "sideways"}, "ASC"),
        ({"datastore_id": "nope"}, "32 lower-case"),
        ({"datastore_id": "00000000000000000000000000000000"}, "ResourceNotFoundException"),
        (
            {"search_criteria": {"filters": [example_criteria(1)["filters"][0]] * 3}},
            "search_criteria.filters",
        ),
        (
            {"search_criteria": {"filters": [{"values": [{"DICOMPatientId": "A", "DICOMStudyId": "B"}],
                                               "operator": "EQUAL"}]}},
            "exactly one key",
        ),
        (
            {"search_criteria": {"filters": [{"values": [{"createdAt": "2022-01-01T00:00:00Z"}],
                                               "operator": "BETWEEN"}]}},
            "BETWEEN",
        ),
    ],
)  # fmt: skip
async def test_bad_input_gets_an_actionable_error(demo_store, arguments, words):
    async with session(demo_store) as client:
        _, text, is_error = await call(client, arguments)
    assert is_error
    assert words in text
    assert text.strip() != MASKED and len(text) > len(MASKED) + 20


async def test_errors_do_not_echo_patient_values(demo_store):
    secret = "SUBJECT-SECRET-4711"
    async with session(demo_store) as client:
        for arguments in ({"patient_id": secret, "patient_idd": 1}, {"patient_id": [secret]},
                          {"search_criteria": {"filters": [{"values": [{"DICOMPatientId": secret, "x": 1}],
                                                            "operator": "EQUAL"}]}}):  # fmt: skip
            _, text, is_error = await call(client, arguments)
            assert is_error and secret not in text


async def test_token_alone_continues_and_criteria_must_match(demo_store):
    async with session(demo_store) as client:
        first, _, _ = await call(client, {"study_date": "since 1990", "max_items": 3, "detail": "full"})
        token = first["next_token"]
        assert len(token) <= 200
        again, text, is_error = await call(client, {"next_token": token, "study_date": "since 1990"})
        assert not is_error, text
        _, text, is_error = await call(client, {"next_token": token, "study_date": "since 2000"})
        assert is_error and "differ" in text
        damaged = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        _, text, is_error = await call(client, {"next_token": damaged})
        assert is_error and "next_token is not valid" in text


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"study_date": "since 1990"},
        {"modality": ["CT", "MR"], "study_description": "chest"},
        {"updated": "last 2 years", "created": "since 2021", "study_date": "2000-2020", "is_primary": True},
        {"sort_by": "study_date", "sort_order": "asc", "detail": "full"},
    ],
)
async def test_tokens_stay_compact(demo_store, arguments):
    from imageset_search.tools.tokens import decode

    async with session(demo_store) as client:
        content, _, _ = await call(client, dict(arguments, max_items=3))
        for _ in range(3):
            token = content.get("next_token")
            if not token:
                break
            service_token = decode(demo_store.token_secret(), token)[2].service_token or ""
            assert len(token) <= 240, len(token)  # the whole query, and the datastore's own token when it has one
            if len(arguments) <= 2:  # up to two criteria (and refinements): the service token plus at most 120
                assert len(token) - len(service_token) <= 120, (len(token), len(service_token))
            content, _, _ = await call(client, {"next_token": token, "max_items": 3})
