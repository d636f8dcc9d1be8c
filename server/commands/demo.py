"""`imageset-search demo`: the main job of the README -- the demo datastore searched through the MCP tool.

Builds the demo datastore if it is missing, then runs the AWS CLI page's four search-criteria examples verbatim and a
few loose queries through a real in-process MCP client session, printing for each what was searched and found.
"""

import json

from imageset_search.server.commands.demo_data import add_today_option, demo_today

# The AWS CLI page's four criteria, as in examples/search-criteria/ (a test keeps the two equal): inlined because an
# installed package has no examples/ folder.
CLI_EXAMPLES = [
    {"filters": [{"values": [{"DICOMPatientId": "SUBJECT08701"}], "operator": "EQUAL"}]},
    {"filters": [{"values": [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "19900101", "DICOMStudyTime": "000000"}},
                             {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20230101", "DICOMStudyTime": "000000"}}],
                  "operator": "BETWEEN"}]},
    {"filters": [{"values": [{"createdAt": "1985-04-12T23:20:50.52Z"}, {"createdAt": "2022-04-12T23:20:50.52Z"}],
                  "operator": "BETWEEN"}]},
    {"filters": [{"values": [{"updatedAt": "2024-03-11T15:00:05.074000-07:00"},
                             {"updatedAt": "2024-03-11T16:00:05.074000-07:00"}], "operator": "BETWEEN"},
                 {"values": [{"DICOMSeriesInstanceUID": "1.2.840.99999999.84710745.943275268089"}],
                  "operator": "EQUAL"}],
     "sort": {"sortField": "updatedAt", "sortOrder": "ASC"}},
]  # fmt: skip
LOOSE = [
    ("a patient by name, any order and case", {"patient_name": "huel melissa"}),
    ("studies in the fourth quarter of 1999", {"study_date": "Q4 1999"}),
    ("CT scans of the last ten years", {"modality": "CT", "study_date": "last 10 years", "max_items": 5}),
    ("brain MRIs, oldest study first", {"modality": "MR", "body_part": "brain", "sort_by": "study date",
                                        "sort_order": "oldest first", "max_items": 5}),
]  # fmt: skip


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "demo",
        parents=[common],
        help="build the demo datastore if missing and search it through the MCP tool",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--timezone", help="IANA zone that 'today' is read in (default: local)")
    add_today_option(parser)
    parser.set_defaults(run=run)


def _examples() -> list[tuple[str, dict]]:
    return [
        (f"AWS CLI example {number}, search_criteria verbatim", {"search_criteria": criteria})
        for number, criteria in enumerate(CLI_EXAMPLES, start=1)
    ]


def _show(title: str, arguments: dict, content: dict, text: str) -> None:
    print(f"\n== {title}\n   arguments: {json.dumps(arguments)}")
    headline = text.split("\n\n")[0]  # the rest of the text is the result in full, summarized below instead
    for line in headline.splitlines() + [f"Read: {line}" for line in content.get("interpreted", [])]:
        print(f"   {line}")
    for study in content.get("studies", [])[:5]:
        kinds = ", ".join(
            "/".join(str(item[key]) for key in ("modality", "body_part") if key in item) or "-"
            for item in study["image_sets"]
        )
        print(
            f"   - {study.get('study_date', '????????')} {study.get('patient_name', '?'):24} "
            f"{study.get('study_description', '')[:32]:32} {kinds}"
        )


async def _run_all(store, tz, now) -> None:
    from mcp import Client

    from imageset_search.server.app import create_server
    from imageset_search.tools.settings import Settings

    async with Client(create_server(store, Settings(tz=tz, now=now))) as client:
        for title, arguments in _examples() + LOOSE:
            result = await client.call_tool("search_image_sets", arguments)
            text = "\n".join(part.text for part in result.content if part.type == "text")
            _show(title, arguments, result.structured_content or {}, text)


def _noon(day, zone):
    """The instant a pinned demo day reads loose phrases at: noon there, after every timestamp the demo holds."""
    from datetime import datetime, time

    return datetime.combine(day, time(12), zone)


def run(args) -> int:
    import anyio

    from imageset_search.datastores.errors import ResourceNotFoundException
    from imageset_search.datastores.local.demo import DEMO_DATASTORE_ID, build_demo
    from imageset_search.datastores.local.store import LocalStore
    from imageset_search.server.config import db_path, timezone

    path, zone = db_path(args.db), timezone(args.timezone)
    today = demo_today(args, zone)
    with LocalStore(path) as store:
        try:
            store.get_datastore(DEMO_DATASTORE_ID)
        except ResourceNotFoundException:
            print(f"Building the demo datastore in {path} (today {today:%Y-%m-%d}) ...")
            build_demo(store, today=today)
        anyio.run(_run_all, store, zone, _noon(today, zone) if args.today else None)
    return 0
