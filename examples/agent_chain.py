"""An agent-style chain over the MCP server: what a model does for "the patient's latest CT from last year".

It starts `imageset-search serve` over stdio (with `--db` on its command line) through the MCP SDK's own client,
then chains two tools the way a model would:

1. `search_image_sets` with `patient_id` and `study_date` "last year", following `next_token` (sent with only
   `max_items`) until `has_more` is false, and says what was searched from the result's `interpreted` lines;
2. `get_image_set_metadata` on the newest CT among those studies (by study date and time), with the search
   result's `image_set_id` and `datastore_id` passed straight through.

It prints each step in plain words and, last, one JSON line with the outcome (for scripts and tests).

    python examples/agent_chain.py --db demo.sqlite3 --patient-id SUBJECT08701
    python examples/agent_chain.py --db demo.sqlite3 --patient-id SUBJECT08701 --study-date "2019" --timezone UTC

Exit status: 0 when a CT was found and read, 1 when there is none, 2 when a tool call failed or the server stopped.
"""

import argparse
import asyncio
import json
import sys
from typing import Any

from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client

NO_CT, FAILED = 1, 2
ATTRIBUTES = ["SeriesDescription", "SOPClassUID", "Rows", "Columns"]


class ToolFailed(Exception):
    """A tool answered with isError; the message is the tool's own text (what was wrong, what to send)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file of the local datastore the server reads")
    parser.add_argument("--patient-id", required=True, help="DICOM PatientID to look up (exact)")
    parser.add_argument("--study-date", default="last year", help="the period, in words (default: last year)")
    parser.add_argument("--timezone", help="IANA zone that 'today' is read in (default: the machine's)")
    parser.add_argument("--page-size", type=int, default=50, help="max_items per search call (1-50)")
    return parser.parse_args(argv)


def server_parameters(args: argparse.Namespace) -> StdioServerParameters:
    """`imageset-search serve --db PATH`, run by this interpreter so it finds the installed package."""
    command = ["-m", "imageset_search.server.cli", "serve", "--db", args.db]
    if args.timezone:
        command += ["--timezone", args.timezone]
    return StdioServerParameters(command=sys.executable, args=command)


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One tool call's structured result; a tool error stops the chain with the tool's own words."""
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        raise ToolFailed(" ".join(part.text for part in result.content if part.type == "text"))
    return result.structured_content or {}


async def find_studies(session: ClientSession, args: argparse.Namespace) -> tuple[list[dict], dict]:
    """Every study of the patient in the period (all pages), and the first page's result for what was searched."""
    first = await call(
        session,
        "search_image_sets",
        {"patient_id": args.patient_id, "study_date": args.study_date, "max_items": args.page_size},
    )
    studies, page, pages = list(first.get("studies", [])), first, 1
    while page.get("has_more"):
        page = await call(session, "search_image_sets", {"next_token": page["next_token"], "max_items": args.page_size})
        studies += page.get("studies", [])
        pages += 1
    first["pages"] = pages
    return merge_studies(studies), first


def merge_studies(studies: list[dict]) -> list[dict]:
    """One entry per study: a study split across pages comes back as two groups with the same UID."""
    merged: dict[Any, dict] = {}
    for position, study in enumerate(studies):
        key = study.get("study_instance_uid") or ("no study UID", position)
        if key in merged:
            merged[key]["image_sets"] += study["image_sets"]
        else:
            merged[key] = dict(study, image_sets=list(study["image_sets"]))
    return list(merged.values())


def newest_ct(studies: list[dict]) -> tuple[dict, dict] | None:
    """(study, image set) of the newest study holding a CT series; its primary CT with the lowest series number."""
    with_ct = [study for study in studies if any(s.get("modality") == "CT" for s in study["image_sets"])]
    if not with_ct:
        return None
    study = max(with_ct, key=lambda s: (s.get("study_date") or "", s.get("study_time") or ""))
    cts = [s for s in study["image_sets"] if s.get("modality") == "CT"]
    image_set = min(cts, key=lambda s: (s.get("is_primary") is False, s.get("series_number") or 0))
    return study, image_set


def say_search(result: dict, studies: list[dict]) -> None:
    pages, datastore_id = result["pages"], result["datastore_id"]
    print(f"1. search_image_sets: {len(studies)} studies in {pages} pages, datastore {datastore_id}")
    for line in result.get("interpreted", []):
        print(f"   read: {line}")
    for line in result.get("searched_by_service", []):
        print(f"   searched: {line}")
    for study in sorted(studies, key=lambda s: s.get("study_date") or "", reverse=True):
        kinds = sorted({" ".join(filter(None, (s.get("modality"), s.get("body_part")))) for s in study["image_sets"]})
        print(f"   {study.get('study_date', '?')}  {study.get('study_description', '')}  [{', '.join(kinds)}]")


def say_metadata(summary: dict) -> None:
    series = summary["series"][0] if summary["series"] else {}
    print(
        f"2. get_image_set_metadata: image set {summary['image_set_id']} version {summary['version']}: "
        f"{series.get('modality', '?')} {series.get('body_part', '')}, series {series.get('series_number', '?')} "
        f"'{series.get('series_description', '')}', {summary['instance_count']} instances"
    )
    for instance in series.get("instances", []):  # attributes, not UIDs: a printout is no place for identifiers
        size = instance.get("attributes", {})
        print(f"   instance {instance.get('instance_number', '?')}: {size.get('Rows', '?')}x{size.get('Columns', '?')}")
    if summary.get("has_more"):
        print(f"   (more instances from offset {summary['next_instance_offset']})")


async def read_newest_ct(session: ClientSession, args: argparse.Namespace) -> dict[str, Any]:
    studies, searched = await find_studies(session, args)
    say_search(searched, studies)
    found = newest_ct(studies)
    outcome: dict[str, Any] = {"studies": len(studies), "pages": searched["pages"], "newest_ct": None}
    if found is None:
        print("2. no CT among these studies: nothing to read")
        return outcome
    study, image_set = found
    summary = await call(
        session,
        "get_image_set_metadata",
        {
            "datastore_id": searched["datastore_id"],
            "image_set_id": image_set["image_set_id"],
            "attributes": ATTRIBUTES,
            "include_instances": True,
            "max_instances": 5,
        },
    )
    say_metadata(summary)
    outcome["newest_ct"] = {
        "image_set_id": summary["image_set_id"],
        "study_date": study.get("study_date"),
        "instance_count": summary["instance_count"],
    }
    return outcome


async def chain(args: argparse.Namespace) -> dict[str, Any]:
    """The whole chain in one server session; a failure ends it with its words as `error`."""
    async with stdio_client(server_parameters(args)) as (read, write), ClientSession(read, write) as session:
        try:
            await session.initialize()
            return await read_newest_ct(session, args)
        except ToolFailed as failure:
            return {"error": f"a tool call failed: {failure}"}
        except MCPError as failure:  # the server stopped: its own reason went to stderr just before
            return {"error": f"the server stopped answering ({failure}); its message above says why"}


def main(argv: list[str] | None = None) -> int:
    outcome = asyncio.run(chain(parse_args(argv)))
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return FAILED
    print(json.dumps(outcome))
    return 0 if outcome["newest_ct"] else NO_CT


if __name__ == "__main__":
    sys.exit(main())
