"""10,000 generated calls through a real in-memory MCP client: every one gets a result or an actionable refusal.

The arguments come from each listed tool's own inputSchema, fitted and damaged (`generated.Generator`), seeded so
that every run sends the same calls; half the ids are real ones, so calls reach past "not found". One session
carries them all, so a crash would also end every later call.
"""

import pytest
from conftest import DEMO_TODAY
from mcp_helpers import session

from reliability.answers import Tally, problem
from reliability.generated import Generator
from reliability.valid import VALID

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CALLS = 10_000


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """A 30-image-set demo: the same kinds of data as the shared demo, and searches cheap enough for 10,000 calls."""
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(tmp_path_factory.mktemp("small") / "small.sqlite3") as store:
        build_demo(store, image_sets=30, seed=3, today=DEMO_TODAY)
        yield store


async def test_ten_thousand_generated_calls_all_end_in_a_result_or_an_actionable_error(small_store):
    tally = Tally()
    async with session(small_store, scan_budget=50) as client:
        tools = (await client.list_tools()).tools
        generators = {tool.name: Generator(tool.input_schema, index, known=VALID) for index, tool in enumerate(tools)}
        for number in range(CALLS):
            name = tools[number % len(tools)].name
            kind, arguments = generators[name].outside()
            result = await client.call_tool(name, arguments)
            tally.record(name, kind, problem(name, result), arguments)
    assert tally.calls == CALLS
    assert not tally.counts, tally.report()


async def test_the_generator_reaches_both_answers_on_every_tool(small_store):
    """Guards the test above: for each tool its calls must produce real results as well as refusals."""
    async with session(small_store) as client:
        for tool in (await client.list_tools()).tools:
            generator = Generator(tool.input_schema, seed=0, known=VALID)
            answers = set()
            for _ in range(150):
                answers.add(bool((await client.call_tool(tool.name, generator.outside()[1])).is_error))
            assert answers == {True, False}, tool.name
