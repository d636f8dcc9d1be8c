"""Nothing the caller sent comes back in a refusal or reaches the log unless it is a known name, and no request
costs much to refuse (issue 13, breaks 4 and 5).

A key, a tool name, a prompt name or a resource address may be a patient ID put in the wrong place. The server runs
as a desktop host starts it (`serve --debug` over stdio, a real process); its stderr is grepped afterwards.
"""

import sys

import pytest
from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp_helpers import session

from reliability.answers import text_of

pytestmark = pytest.mark.anyio

PATIENT = "SUBJECT08701"  # a real patient ID of the demo datastore


async def test_an_unknown_key_holding_a_known_name_is_described_not_echoed(demo_store):
    async with session(demo_store) as client:
        result = await client.call_tool("search_image_sets", {f"patient_id={PATIENT}": 1})
        nested = await client.call_tool("search_image_sets", {"search_criteria": {f"sort{PATIENT}": 1}})
    assert result.is_error and PATIENT not in text_of(result)
    assert "an unknown argument of 23 characters, did you mean 'patient_id'?" in text_of(result)
    assert nested.is_error and PATIENT not in text_of(nested) and "unknown key of 16 characters" in text_of(nested)


async def test_many_unknown_keys_are_refused_in_one_line_before_any_work(demo_store):
    arguments = {f"patient_id={number:012d}": 1 for number in range(20_000)}  # 3.9 s to describe one by one
    async with session(demo_store) as client:
        result = await client.call_tool("search_image_sets", arguments)
    text = text_of(result)
    assert result.is_error and "20000 arguments were sent, 20000 of them unknown" in text
    assert text.count("did you mean") <= 3 and "\n" not in text and "patient_id=0" not in text


@pytest.mark.parametrize(
    "arguments",
    [
        {"search_criteria": {"filters": [{"values": [{f"k{number}": 1 for number in range(30_000)}]}]}},
        {"search_criteria": {"filters": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}},
        {"search_criteria": "[" * 500 + "]" * 500},
    ],
    ids=["30,000 nested keys", "nested 20 deep", "JSON text nested 500 deep"],
)
async def test_a_huge_or_deep_argument_is_refused_by_name(demo_store, arguments):
    async with session(demo_store) as client:
        result = await client.call_tool("search_image_sets", arguments)
    assert result.is_error and "search_criteria holds more than" in text_of(result)


async def test_unknown_names_are_not_echoed_nor_logged(tmp_path, demo_db):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "imageset_search.server.cli", "serve", "--db", str(demo_db), "--debug"],
        env={"HOME": str(tmp_path), "PATH": ""},
    )
    log = tmp_path / "stderr.log"
    refusals = []
    with open(log, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            for arguments in ({f"patient_id={PATIENT}": 1}, {PATIENT: 1}, {"body_part": PATIENT}):
                result = await client.call_tool("search_image_sets", arguments)
                refusals.append(text_of(result) if result.is_error else "")
            refusals.append(text_of(await client.call_tool(f"search_{PATIENT}", {})))
            for attempt in (
                lambda: client.get_prompt(PATIENT),
                lambda: client.get_prompt("patient_studies", {"patient_id": "x", PATIENT: "y"}),
                lambda: client.read_resource(f"other://{PATIENT}"),
                lambda: client.read_resource(f"imageset://{PATIENT}/x/metadata"),
            ):
                with pytest.raises(MCPError) as refused:
                    await attempt()
                refusals.append(f"{refused.value.error.message} {refused.value.error.data}")
    text = log.read_text()
    assert "search_image_sets called with" in text  # --debug took effect
    assert PATIENT not in text and "Traceback" not in text and " ERROR " not in text
    assert all(PATIENT not in refusal for refusal in refusals), refusals
