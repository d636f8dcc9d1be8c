"""Bytes of one search_image_sets page as `summary` and as `full`, side by side, on the demo datastore.

Usage: python bench/response_size.py [--db PATH] [--max-items 10]
Builds the demo datastore (200 image sets, seed 0) in a temporary file unless --db names one, then calls the tool
through a real in-memory MCP client for a few typical queries and measures the structured content as JSON.
Last line: one JSON object with summary_bytes, full_bytes and ratio (medians over the queries).
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
from imageset_search.server.app import create_server
from imageset_search.tools.settings import Settings

QUERIES = [
    {},
    {"study_date": "since 2015"},
    {"modality": "CT"},
    {"sort_by": "study_date", "sort_order": "ASC"},
    {"is_primary": True},
]


async def sizes(store, max_items: int) -> list[tuple[int, int]]:
    server = create_server(store, Settings(tz=ZoneInfo("UTC")))
    found = []
    async with Client(server) as client:
        for query in QUERIES:
            pair = []
            for detail in ("summary", "full"):
                result = await client.call_tool("search_image_sets", dict(query, max_items=max_items, detail=detail))
                pair.append(len(json.dumps(result.structured_content, separators=(",", ":"))))
            found.append(tuple(pair))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--max-items", type=int, default=10)
    args = parser.parse_args()
    with demo_store(args.db) as store:
        pairs = anyio.run(sizes, store, args.max_items)
    for query, (summary, full) in zip(QUERIES, pairs):
        print(f"{json.dumps(query):45} summary {summary:6} full {full:6} ratio {summary / full:.2f}", file=sys.stderr)
    summary = statistics.median(pair[0] for pair in pairs)
    full = statistics.median(pair[1] for pair in pairs)
    ratios = [pair[0] / pair[1] for pair in pairs]
    print(json.dumps({"max_items": args.max_items, "queries": len(pairs), "summary_bytes": summary,
                      "full_bytes": full, "ratio": round(summary / full, 3), "worst_ratio": round(max(ratios), 3)}))


if __name__ == "__main__":
    main()
