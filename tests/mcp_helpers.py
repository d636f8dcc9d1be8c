"""Calling the MCP server in tests through a real in-memory client session."""

import json
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from conftest import DEMO_NOW
from mcp import Client

from imageset_search.server.app import create_server
from imageset_search.tools.settings import Settings
from imageset_search.tools.tokens import DEFAULT_MAX_ITEMS

MASKED = "Error executing tool search_image_sets"


def demo_server(store, **settings):
    """The MCP server over `store`; loose dates are read as of DEMO_NOW unless `now` is given."""
    settings.setdefault("now", DEMO_NOW)
    return create_server(store, Settings(tz=ZoneInfo(settings.pop("tz", "UTC")), **settings))


@asynccontextmanager
async def session(store, **settings):
    async with Client(demo_server(store, **settings)) as client:
        yield client


async def call(client, arguments: dict, tool: str = "search_image_sets"):
    """(structured content, text, is_error) of one call."""
    result = await client.call_tool(tool, arguments)
    text = "\n".join(part.text for part in result.content if part.type == "text")
    return result.structured_content, text, bool(result.is_error)


async def walk(client, arguments: dict, sizes) -> list[str]:
    """Image set ids of a whole walk, calling with each max_items of `sizes` in turn (cycling). A size of None sends
    no max_items: the first call then takes the default, a continued one that of the call before it."""
    found, token, turn, kept = [], None, 0, DEFAULT_MAX_ITEMS
    while True:
        size = sizes[turn % len(sizes)]
        turn += 1
        args = {"next_token": token} if token else dict(arguments)
        if size is not None:
            args["max_items"] = kept = size
        content, text, is_error = await call(client, args)
        assert not is_error, text
        assert content["count"] == kept or not content["has_more"] or "scan" in content, (content["count"], kept)
        found += image_set_ids(content)
        token = content.get("next_token")
        assert content["has_more"] == (token is not None)
        if not token:
            return found


def store_summaries(store, criteria=None, datastore_id: str = "12345678901234567890123456789012") -> list[dict]:
    """Every summary the datastore itself returns for `criteria`, in its order: what a walk must reproduce."""
    found, token = [], None
    while True:
        page = store.search_image_sets(datastore_id, criteria, max_results=50, next_token=token)
        found += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            return found


def service_walk(store, criteria=None) -> list[str]:
    """The image set ids of `store_summaries`, in the datastore's order."""
    return [summary["imageSetId"] for summary in store_summaries(store, criteria)]


def image_set_ids(content: dict) -> list[str]:
    if "image_sets" in content:
        return [item["imageSetId"] for item in content["image_sets"]]
    return [image_set["image_set_id"] for study in content.get("studies", []) for image_set in study["image_sets"]]


def example_criteria(number: int) -> dict:
    from conftest import EXAMPLES

    return json.loads((EXAMPLES / f"example-{number}.json").read_text())
