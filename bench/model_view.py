"""What a model is shown, in bytes: the tool list, each result channel per image set, and what the page size costs.

Usage: python bench/model_view.py [--db PATH]

Builds the demo datastore (200 image sets, seed 0) in a temporary file unless --db names one, and calls the tools
through a real in-memory MCP client session. It measures, side by side in one run:
- the tool list: bytes of each definition (name, description, input and output schema) as json.dumps writes it by
  default (the measure issue 11 set its budgets in) and as compact JSON (what the wire carries);
- bytes per image set of a 10- and a 50-item page in each channel: the text content (a headline, then the result in
  the dense form), the structured content as compact JSON, and, for the choice of text format, the headline followed
  by that compact JSON (the text the MCP spec suggests); medians over bench/response_size.py's five searches, for
  detail summary and full;
- the page size: for the searches that answer the model trial's requests (bench/model_trials), the calls a whole
  walk takes and the text bytes per call, at max_items 10, 20, 25 and 50.
Last line: one JSON object with all of it.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
from mcp import Client

from demo_store import demo_store
from response_size import QUERIES
from imageset_search.server.app import create_server
from imageset_search.tools.settings import Settings

PAGES = (10, 50)
PAGE_SIZES = (10, 20, 25, 50)
# The searches a model walks to the end to answer the trial's requests (the other requests take one call of
# list_datastores, get_image_set_metadata or list_image_set_versions, or one page, whatever the page size).
TRIAL_WALKS = {
    "R02": {"modality": "CT"},
    "R03": {"modality": "MR", "body_part": "KNEE"},
    "R04": {"patient_name": "Nguyen571 Daniel446"},
    "R06": {"patient_id": "SUBJECT78703"},
    "R08": {"accession_number": "A13118537"},
    "R09": {"is_primary": False},
    "R11": {"study_description": "MRI BRAIN W/WO CONTRAST"},
    "R12": {"modality": "MR"},
    "R13": {"accession_number": "A22505043"},
    "R14": {"patient_sex": "F", "patient_birth_date": "before 1960"},
    "R15": {"accession_number": "A13118537"},
}
SINGLE_CALL_REQUESTS = 15 - len(TRIAL_WALKS)


def spaced(value) -> int:
    return len(json.dumps(value).encode())


def compact(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def text_of(result) -> str:
    return "\n".join(part.text for part in result.content if part.type == "text")


async def tool_list(client) -> dict:
    found = {}
    for tool in (await client.list_tools()).tools:
        wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        found[tool.name] = {
            "description": spaced(wire["description"]),
            "input_schema": spaced(wire["inputSchema"]),
            "output_schema": spaced(wire.get("outputSchema")),
            "name_description_input": len(tool.name) + spaced(wire["description"]) + spaced(wire["inputSchema"]),
            "definition": spaced(wire),
            "definition_wire": compact(wire),
        }
    return found


async def channels(client, max_items: int, detail: str) -> dict:
    """Median bytes per image set over QUERIES: text content, structured JSON, headline + JSON."""
    per_item: dict[str, list[float]] = {"text": [], "structured_json": [], "headline_plus_json": []}
    for query in QUERIES:
        result = await client.call_tool("search_image_sets", dict(query, max_items=max_items, detail=detail))
        count = result.structured_content["count"]
        text = text_of(result)
        headline = text.split("\n\n")[0]
        structured = compact(result.structured_content)
        per_item["text"].append(len(text.encode()) / count)
        per_item["structured_json"].append(structured / count)
        per_item["headline_plus_json"].append((len(headline.encode()) + 2 + structured) / count)
    return {name: round(statistics.median(values), 1) for name, values in per_item.items()}


async def walk(client, arguments: dict, size: int) -> list[int]:
    """Text bytes of each call of a whole walk (bounded)."""
    sizes, token = [], None
    for _ in range(100):
        result = await client.call_tool("search_image_sets", {"next_token": token, "max_items": size} if token
                                         else dict(arguments, max_items=size))  # fmt: skip
        sizes.append(len(text_of(result).encode()))
        token = result.structured_content.get("next_token")
        if not token:
            return sizes
    raise RuntimeError(f"a walk of {arguments} did not end within 100 calls")


async def page_sizes(client) -> dict:
    found = {}
    for size in PAGE_SIZES:
        calls = [await walk(client, arguments, size) for arguments in TRIAL_WALKS.values()]
        flat = [bytes_ for walk_ in calls for bytes_ in walk_]
        found[str(size)] = {
            "calls_for_the_trial": sum(len(walk_) for walk_ in calls) + SINGLE_CALL_REQUESTS,
            "requests_needing_more_than_one_page": sum(len(walk_) > 1 for walk_ in calls),
            "median_text_bytes_per_call": round(statistics.median(flat)),
            "max_text_bytes_per_call": max(flat),
        }
    return found


async def measure(store) -> dict:
    server = create_server(store, Settings(tz=ZoneInfo("UTC")))
    async with Client(server) as client:
        tools = await tool_list(client)
        pages = {f"{detail}_{size}": await channels(client, size, detail) for detail in ("summary", "full")
                 for size in PAGES}  # fmt: skip
        sizes = await page_sizes(client)
    return {
        "tool_list_bytes": sum(tool["definition"] for tool in tools.values()),
        "tool_list_wire_bytes": sum(tool["definition_wire"] for tool in tools.values()),
        "search_name_description_input_bytes": tools["search_image_sets"]["name_description_input"],
        "tools": tools,
        "bytes_per_image_set": pages,
        "page_size": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a store holding the demo datastore (default: build one)")
    options = parser.parse_args()
    with demo_store(options.db) as store:
        found = anyio.run(measure, store)
    for name, tool in found["tools"].items():
        print(f"{name:26} definition {tool['definition']:6} (wire {tool['definition_wire']:6})  description "
              f"{tool['description']:5}  input {tool['input_schema']:5}  output {tool['output_schema']:5}",
              file=sys.stderr)
    for page, figures in found["bytes_per_image_set"].items():
        print(f"per image set, {page:12} " + "  ".join(f"{k} {v}" for k, v in figures.items()), file=sys.stderr)
    for size, figures in found["page_size"].items():
        print(f"max_items {size:>2}: " + "  ".join(f"{k} {v}" for k, v in figures.items()), file=sys.stderr)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
