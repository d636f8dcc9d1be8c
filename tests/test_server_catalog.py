"""Everything the server offers, seen from a real client: tools, prompts and resources."""

import json

import pytest
from mcp_helpers import session

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID

pytestmark = pytest.mark.anyio
TOOLS = {"search_image_sets", "get_image_set", "list_image_set_versions", "get_image_set_metadata", "list_datastores"}


async def test_every_tool_is_read_only_strict_and_described(demo_store):
    async with session(demo_store) as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert tool.annotations.read_only_hint and tool.annotations.idempotent_hint, tool.name
        assert not tool.annotations.destructive_hint, tool.name
        assert tool.input_schema["type"] == "object" and tool.input_schema.get("additionalProperties") is False
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        assert len(tool.description) > 80, tool.name


async def test_unknown_arguments_are_refused_by_every_tool(demo_store):
    async with session(demo_store) as client:
        for name in TOOLS:
            result = await client.call_tool(name, {"datastore_idd": 1})
            text = result.content[0].text
            assert result.is_error and "of 13 characters, did you mean 'datastore_id'" in text, (name, text)
            result = await client.call_tool(name, {"SUBJECT08701": 1})  # a value where a name belongs: not echoed
            text = result.content[0].text
            assert result.is_error and "unknown argument of 12 characters" in text and "SUBJECT" not in text


async def test_a_search_result_feeds_the_other_tools(demo_store):
    async with session(demo_store) as client:
        found = await client.call_tool("search_image_sets", {"patient_id": "SUBJECT08701"})
        image_set_id = found.structured_content["studies"][0]["image_sets"][0]["image_set_id"]
        for name in ("get_image_set", "list_image_set_versions", "get_image_set_metadata"):
            result = await client.call_tool(name, {"image_set_id": image_set_id})
            assert not result.is_error, (name, result.content[0].text)
            assert DOCUMENTED_IMAGE_SET_ID in json.dumps(result.structured_content), name


async def test_prompts_are_listed_and_render(demo_store):
    async with session(demo_store) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        assert {"patient_studies", "prior_studies", "datastore_overview"} <= set(prompts)
        for prompt in prompts.values():
            arguments = {argument.name: "X1" for argument in prompt.arguments or [] if argument.required}
            rendered = await client.get_prompt(prompt.name, arguments)
            text = rendered.messages[0].content.text
            assert "search_image_sets" in text or "list_datastores" in text, prompt.name


async def test_resources_serve_the_datastore_list_and_metadata(demo_store):
    async with session(demo_store) as client:
        listing = json.loads((await client.read_resource("imageset://datastores")).contents[0].text)
        uri = f"imageset://{DEMO_DATASTORE_ID}/{DOCUMENTED_IMAGE_SET_ID}/metadata"
        metadata = json.loads((await client.read_resource(uri)).contents[0].text)
    assert DEMO_DATASTORE_ID in [item["datastore_id"] for item in listing["datastores"]]
    assert metadata["image_set_id"] == DOCUMENTED_IMAGE_SET_ID and metadata["patient"]["patient_id"] == "SUBJECT08701"


async def test_a_missing_image_set_resource_says_so(demo_store):
    async with session(demo_store) as client:
        with pytest.raises(Exception) as caught:
            await client.read_resource(f"imageset://{DEMO_DATASTORE_ID}/{'0' * 32}/metadata")
    assert "ResourceNotFoundException" in str(caught.value)


async def test_a_prompt_without_its_required_argument_says_which(demo_store):
    async with session(demo_store) as client:
        with pytest.raises(Exception) as caught:
            await client.get_prompt("patient_studies", {})
    assert "patient_id" in str(caught.value) and "Internal" not in str(caught.value)


async def test_list_datastores_counts_the_local_image_sets(demo_store):
    async with session(demo_store) as client:
        result = await client.call_tool("list_datastores", {})
    [demo] = [item for item in result.structured_content["datastores"] if item["datastore_id"] == DEMO_DATASTORE_ID]
    assert demo["image_set_count"] == demo_store.count_image_sets(DEMO_DATASTORE_ID) == 200
