"""The real server process over stdio: `imageset-search serve` as a desktop host starts it."""

import sys

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import DOCUMENTED_IMAGE_SET_ID

pytestmark = pytest.mark.anyio


async def test_stdio_server_answers_a_search(demo_db, tmp_path):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "imageset_search.server.cli", "serve", "--db", str(demo_db), "--timezone", "Europe/Berlin"],
        env={"HOME": str(tmp_path), "PATH": ""},
    )
    with open(tmp_path / "stderr.log", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            result = await client.call_tool("search_image_sets", {"patient_id": "SUBJECT08701"})
    assert not result.is_error, result.content
    [study] = result.structured_content["studies"]
    assert study["image_sets"][0]["image_set_id"] == DOCUMENTED_IMAGE_SET_ID
    assert "SUBJECT08701" not in (tmp_path / "stderr.log").read_text()
