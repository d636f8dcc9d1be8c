"""What a continuation token costs, taken and refused, side by side on a demo datastore.

Usage: python bench/tokens.py [--image-sets N] [--repeat R]

Builds the demo datastore in a temporary folder, then measures the search tool's function (medians over --repeat
calls, in milliseconds): a first page, its continuation with next_token alone, and the refusal of four kinds of bad
token: 8 KB of random text, a token tagged the old way (with the key once in the source), a real token with one
character changed, and a token signed with the store's own secret that asks for 300 criteria (as if the secret had
leaked: refused by the checks a fresh call's arguments pass). Also the longest token of a few queries. The last line
of stdout is one JSON object.
"""

import argparse
import base64
import hashlib
import json
import secrets
import statistics
import struct
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from imageset_search.datastores.local.demo import DEMO_DATASTORE_ID, build_demo
from imageset_search.datastores.local.store import LocalStore
from imageset_search.tools.criteria import Criterion
from imageset_search.tools.errors import SearchError
from imageset_search.tools.models import SearchArgs
from imageset_search.tools.paginator import Position
from imageset_search.tools.planner import Query
from imageset_search.tools.search import search_image_sets
from imageset_search.tools.settings import Settings
from imageset_search.tools.tokens import View, encode

TODAY = date(2026, 6, 1)
SETTINGS = Settings(tz=ZoneInfo("UTC"), now=datetime(2026, 6, 1, 12, tzinfo=UTC))
FIRST = {"study_date": "since 1990", "max_items": 10}
LENGTH_QUERIES = (
    {},
    {"study_date": "since 1990"},
    {"modality": ["CT", "MR"], "study_description": "chest"},
    {"updated": "last 2 years", "created": "since 2021", "study_date": "2000-2020", "is_primary": True},
)


def search(store, arguments: dict):
    return search_image_sets(store, SearchArgs.model_validate(arguments), SETTINGS)


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def refused(store, token: str) -> None:
    try:
        search(store, {"next_token": token})
    except SearchError:
        return
    raise SystemExit("a bad token was accepted")


def old_forgery() -> str:
    body = bytes([2]) + int(DEMO_DATASTORE_ID, 36).to_bytes(21, "big") + struct.pack(">BBI", 0, 0, 0) + b"\0"
    body += b"\0" + json.dumps({"f": [], "v": ["bogus", []]}, separators=(",", ":")).encode()
    tag = hashlib.blake2b(body, key=b"imageset-search-mcp/next_token/v1", digest_size=8).digest()
    return base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode()


def leaked_secret_forgery(store) -> str:
    criteria = tuple(
        Criterion("DICOMPatientId", {"values": [{"DICOMPatientId": f"P{n}"}], "operator": "EQUAL"}) for n in range(300)
    )
    return encode(store.token_secret(), DEMO_DATASTORE_ID, Query(criteria), Position(), View())


def changed(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def longest_token(store, arguments: dict) -> int:
    result, longest = search(store, dict(arguments, max_items=3)), 0
    for _ in range(3):
        if not result.next_token:
            break
        longest = max(longest, len(result.next_token))
        result = search(store, {"next_token": result.next_token})
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-sets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LocalStore(Path(folder) / "bench.sqlite3") as store:
        build_demo(store, image_sets=options.image_sets, seed=0, today=TODAY)
        token = search(store, FIRST).next_token
        figures = {
            "image_sets": options.image_sets,
            "first_page_ms": median_ms(lambda: search(store, FIRST), options.repeat),
            "continuation_ms": median_ms(lambda: search(store, {"next_token": token}), options.repeat),
        }
        bad = {
            "random_8kb": secrets.token_urlsafe(6144)[:8192],
            "old_key_forgery": old_forgery(),
            "one_character_changed": changed(token),
            "leaked_secret_300_criteria": leaked_secret_forgery(store),
        }
        for name, text in bad.items():
            figures[f"refuse_{name}_ms"] = median_ms(lambda text=text: refused(store, text), options.repeat)
        slowest = max(figures[f"refuse_{name}_ms"] for name in bad)
        figures["slowest_refusal_over_continuation"] = round(slowest / figures["continuation_ms"], 3)
        figures["longest_token_chars"] = {json.dumps(q): longest_token(store, q) for q in LENGTH_QUERIES}
    for name, value in figures.items():
        print(f"{name}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
