"""Oversized and degenerate values in every argument of every tool: refused in words, without a memory blow-up.

A 1 MB string, a 10,000-item list and JSON text nested 1,000 deep (hosts send objects as JSON text) go into each
argument of each tool, one at a time and beside valid required arguments, through a real in-memory client. Each must
come back as a one-line refusal naming the argument (or the datastore's camelCase name for it), and the call's peak
memory must stay a small multiple of the input. How fast the refusal comes is measured in bench/soak.py (over HTTP),
not here.
"""

import tracemalloc

import pytest
from mcp_helpers import session

from imageset_search.tools.catalog import CATALOG
from reliability.answers import problem, text_of
from reliability.valid import camel, required

pytestmark = pytest.mark.anyio

VALUES = {
    "1 MB string": "x" * 1_000_000,
    "10,000-item list": ["CT"] * 10_000,
    "JSON text 1,000 deep": "[" * 1_000 + "]" * 1_000,
}
PEAK_LIMIT = 64 * 1024 * 1024  # bytes allocated at the peak of one call: 64 times the largest input
ARGUMENTS = [
    (spec.name, name) for spec in CATALOG for name in spec.arguments.model_json_schema(by_alias=True)["properties"]
]
CASES = [
    pytest.param(kind, tool, argument, id=f"{kind}-{tool}.{argument}")
    for kind in VALUES
    for tool, argument in ARGUMENTS
]


async def test_every_listed_tool_and_argument_is_covered(demo_store):
    async with session(demo_store) as client:
        tools = (await client.list_tools()).tools
    listed = {(tool.name, name) for tool in tools for name in tool.input_schema["properties"]}
    assert listed == set(ARGUMENTS)


@pytest.mark.parametrize("kind, tool, argument", CASES)
async def test_an_oversized_value_is_refused_in_one_line_naming_the_argument(demo_store, kind, tool, argument):
    async with session(demo_store) as client:
        [listed] = [listed for listed in (await client.list_tools()).tools if listed.name == tool]
        arguments = dict(required(listed.input_schema), **{argument: VALUES[kind]})
        tracemalloc.start()
        try:
            result = await client.call_tool(tool, arguments)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    text = text_of(result)
    assert result.is_error, f"accepted: {text[:200]}"
    assert problem(tool, result) is None, text[:300]
    assert (argument in text or camel(argument) in text) and "\n" not in text.strip(), text[:300]
    assert peak < PEAK_LIMIT, f"peak memory {peak // 2**20} MiB"
