"""Each channel alone is enough: what a text-only host and a structured-only host show their model (issue 11).

Every call goes through a real in-memory MCP client session over the demo datastore. The expected image sets come
from the datastore itself (not from either channel), and a text-only walk reads ids and next_token out of the text.
"""

import json
import re

import pytest
from mcp_helpers import call, image_set_ids, session, store_summaries

from conftest import DEMO_DATASTORE_ID
from imageset_search.datastores.local.demo import EXAMPLE_4_SERIES_UID
from imageset_search.tools.text_form import dense

pytestmark = pytest.mark.anyio

TOKEN_LINE = re.compile(r"^next_token: (\S+)$", re.MULTILINE)
ID_CELL = re.compile(r"^\s+([0-9a-z]{32})(?:,|$)", re.MULTILINE)  # the first cell of a table row: an image set id


def text_token(text: str) -> str | None:
    found = TOKEN_LINE.search(text)
    return found.group(1) if found else None


def text_ids(text: str) -> list[str]:
    return ID_CELL.findall(text)


def leaves(value) -> list:
    """Every scalar the structured content holds, however deep."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def assert_text_holds_everything(content: dict, text: str) -> None:
    """Every key and every value of the structured content appears in the text."""
    for leaf in leaves(content):
        shown = leaf if isinstance(leaf, str) else json.dumps(leaf)
        assert shown in text, (shown, text[:400])
    for key in {key for item in _objects(content) for key in item}:
        assert key in text, key


def _objects(value) -> list[dict]:
    if isinstance(value, dict):
        return [value] + [found for item in value.values() for found in _objects(item)]
    if isinstance(value, list):
        return [found for item in value for found in _objects(item)]
    return []


def page_ids(store, start: int, size: int) -> list[str]:
    """What the datastore itself returns in that span of an unfiltered search (updatedAt DESC)."""
    return [summary["imageSetId"] for summary in store_summaries(store)[start : start + size]]


def assert_both_channels(content: dict, text: str, expected_ids: list[str]) -> None:
    assert sorted(image_set_ids(content)) == sorted(expected_ids)  # a summary groups them by study
    assert text_ids(text) == image_set_ids(content)
    assert text_token(text) == content.get("next_token")
    assert (f"has_more: {json.dumps(content['has_more'])}") in text.splitlines()
    assert_text_holds_everything(content, text)


@pytest.mark.parametrize("detail", ["summary", "full"])
async def test_a_first_page_and_its_continuation_in_both_channels(demo_store, detail):
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"max_items": 10, "detail": detail})
        assert not is_error, text
        assert_both_channels(content, text, page_ids(demo_store, 0, 10))
        assert content["next_token"]
        content, text, is_error = await call(client, {"next_token": text_token(text), "max_items": 10})
    assert not is_error, text
    assert_both_channels(content, text, page_ids(demo_store, 10, 10))


@pytest.fixture
def scanning_store(demo_db):
    """The demo store declaring no capabilities: every refinement is scanned here, as on AWS's SearchImageSets."""
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(demo_db) as store:
        store.capabilities = {}
        yield store


async def test_a_scan_stopped_at_its_budget_is_resumable_from_either_channel(scanning_store):
    async with session(scanning_store, scan_budget=60) as client:
        content, text, is_error = await call(client, {"patient_name": "Nobody Atall", "max_items": 10})
    assert not is_error, text
    scan = content["scan"]
    assert content["count"] == 0 and scan["scanned"] >= 60 and not scan["finished"] and content["next_token"]
    assert_both_channels(content, text, [])
    assert content["warnings"] and content["warnings"][0] in text
    assert f"scanned: {scan['scanned']}" in text and "finished: false" in text and "patient name" in text


async def test_an_empty_result_says_so_in_both_channels(demo_store):
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"patient_id": "NOBODY-HERE", "study_date": "last March"})
    assert not is_error, text
    assert_both_channels(content, text, [])
    assert content["has_more"] is False and "next_token" not in content and "That is all" in text
    assert content["interpreted"] and all(line in text for line in content["interpreted"])


async def test_full_detail_holds_every_summary_field_in_the_text(demo_store):
    (expected,) = store_summaries(demo_store)[:1]
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"max_items": 1, "detail": "full"})
    assert not is_error, text
    assert image_set_ids(content) == text_ids(text) == [expected["imageSetId"]]
    tags = expected["DICOMTags"]
    for name in ("DICOMPatientId", "DICOMStudyInstanceUID", "DICOMSeriesInstanceUID", "DICOMAccessionNumber"):
        assert f"DICOMTags.{name}" in text and tags[name] in text


@pytest.mark.parametrize("sizes, arguments", [((7,), {}), ((4, 9), {"modality": "CT"})])
async def test_a_walk_driven_only_by_the_text_reaches_each_image_set_once(demo_store, sizes, arguments):
    """The model reads the text alone: ids and next_token come out of it, and nothing is missed or repeated."""
    expected = [
        summary["imageSetId"]
        for summary in store_summaries(demo_store)
        if arguments.get("modality") in (None, summary["DICOMTags"].get("DICOMSeriesModality"))
    ]
    found, token = [], None
    async with session(demo_store, scan_budget=40) as client:
        for turn in range(200):
            size = sizes[turn % len(sizes)]
            _, text, is_error = await call(client, {"next_token": token, "max_items": size} if token else
                                           dict(arguments, max_items=size))  # fmt: skip
            assert not is_error, text
            found += text_ids(text)
            token = text_token(text)
            if token is None:
                break
    assert sorted(found) == sorted(expected) and len(set(found)) == len(found)


async def test_the_other_tools_carry_their_ids_and_tokens_in_the_text(demo_store):
    criteria = {"filters": [{"values": [{"DICOMSeriesInstanceUID": EXAMPLE_4_SERIES_UID}], "operator": "EQUAL"}]}
    (reimported,) = store_summaries(demo_store, criteria)
    image_set_id = reimported["imageSetId"]
    async with session(demo_store) as client:
        info, info_text, _ = await call(client, {"image_set_id": image_set_id}, "get_image_set")
        first, first_text, _ = await call(client, {"image_set_id": image_set_id, "max_items": 1},
                                          "list_image_set_versions")  # fmt: skip
        rest, rest_text, _ = await call(client, {"image_set_id": image_set_id, "max_items": 1,
                                                 "next_token": text_token(first_text)}, "list_image_set_versions")
        metadata, metadata_text, _ = await call(client, {"image_set_id": image_set_id, "include_instances": True,
                                                         "max_instances": 1}, "get_image_set_metadata")
        listing, listing_text, _ = await call(client, {}, "list_datastores")
    for content, text in ((info, info_text), (first, first_text), (rest, rest_text), (metadata, metadata_text),
                          (listing, listing_text)):  # fmt: skip
        assert_text_holds_everything(content, text)
    assert f"image_set_id: {image_set_id}" in info_text and "version: 2" in info_text
    assert first["next_token"] and text_token(first_text) == first["next_token"]
    assert [item["version"] for item in first["versions"] + rest["versions"]] == [2, 1]
    assert "has_more: false" in rest_text
    assert metadata["has_more"] and f"next_instance_offset: {metadata['next_instance_offset']}" in metadata_text
    sop_uid = metadata["series"][0]["instances"][0]["sop_instance_uid"]
    assert sop_uid in metadata_text and metadata["study"]["study_instance_uid"] in metadata_text
    assert f"default_datastore_id: {DEMO_DATASTORE_ID}" in listing_text


@pytest.mark.parametrize("max_items", [10, 50])
async def test_the_text_costs_no_more_bytes_per_image_set_than_the_json(demo_store, max_items):
    async with session(demo_store) as client:
        for detail in ("summary", "full"):
            content, text, _ = await call(client, {"max_items": max_items, "detail": detail})
            json_bytes = len(json.dumps(content, separators=(",", ":")).encode())
            assert len(text.encode()) <= json_bytes, (detail, len(text.encode()), json_bytes)


def test_the_dense_form_quotes_only_what_could_misread():
    content = {"a": "plain words", "b": "", "rows": [{"x": "one, two", "y": 'say "hi"', "z": None},
                                                     {"x": 1, "w": True}],
               "lines": ["first, with a comma", "second"], "codes": ["CT", "MR"], "empty": []}  # fmt: skip
    assert dense(content).splitlines() == [
        "a: plain words",
        'b: ""',
        "rows[2]{x,y,z,w}:",
        '  "one, two","say \\"hi\\"",null,',
        "  1,,,true",
        "lines[2]:",
        "- first, with a comma",
        "- second",
        "codes[2]: CT,MR",
        "empty[0]:",
    ]


def _spaced(value) -> int:
    """Bytes as json.dumps writes it by default (with spaces): the measure the budgets of issue 11 were set in."""
    return len(json.dumps(value).encode())


def _schemas(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _schemas(item)
    elif isinstance(value, list):
        for item in value:
            yield from _schemas(item)


async def test_the_tool_list_is_lean_and_still_typed(demo_store):
    async with session(demo_store) as client:
        tools = {tool.name: tool.model_dump(mode="json", by_alias=True, exclude_none=True)
                 for tool in (await client.list_tools()).tools}  # fmt: skip
    search = tools["search_image_sets"]
    assert len(search["name"]) + _spaced(search["description"]) + _spaced(search["inputSchema"]) <= 8_000
    assert sum(_spaced(tool) for tool in tools.values()) <= 20_000
    for tool in tools.values():
        for schema in ("inputSchema", "outputSchema"):
            nodes = list(_schemas(tool[schema]))
            assert not any("title" in node and isinstance(node["title"], str) for node in nodes), tool["name"]
            assert {"type": "null"} not in nodes, tool["name"]
            definitions = [json.dumps(item, sort_keys=True) for item in tool[schema].get("$defs", {}).values()]
            assert len(definitions) == len(set(definitions)), tool["name"]
    members = search["inputSchema"]["$defs"]["SearchFilter"]["properties"]["values"]["items"]["oneOf"]
    assert len(members) == 9 and all(set(member) == {"$ref"} for member in members)  # the union stays typed
    assert search["inputSchema"]["additionalProperties"] is False


async def test_the_lean_schema_is_not_looser_than_the_server(demo_store):
    """What the schema leaves out (null, titles) changes nothing the server accepts: unknown keys still fail."""
    async with session(demo_store) as client:
        _, text, is_error = await call(client, {"search_criteria": {"filters": [{"values": [{"DICOMPatientId": "X",
                                                "isPrimary": True}], "operator": "EQUAL"}]}})  # fmt: skip
        assert is_error and "exactly one key" in text
        content, text, is_error = await call(client, {"patient_id": None, "max_items": 1})
        assert not is_error and content["count"] == 1, text
