"""Time `imageset-search search-image-sets` on a demo datastore of a chosen size.

Usage: python bench/cli_search_image_sets.py [--image-sets N] [--repeat R] [--max-items M]

Builds the demo datastore in a temporary folder, then measures (medians over --repeat runs): a full walk printed as
JSON (every image set, default page size), the same walk at --page-size 10, a resumed walk in --max-items M steps
with the page size changing on every resume (per step), and one EQUAL search in a fresh interpreter (start-up
included). The last line of stdout is one JSON object.
"""

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imageset_search.datastores.local.demo import DEMO_DATASTORE_ID, build_demo
from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.cli import main

BY_PATIENT = {"filters": [{"values": [{"DICOMPatientId": "SUBJECT08701"}], "operator": "EQUAL"}]}


def cli(db: Path, *args) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["search-image-sets", "--db", str(db), "--datastore-id", DEMO_DATASTORE_ID, *map(str, args)])
    if code:
        raise SystemExit(f"search-image-sets exited {code}")
    return json.loads(out.getvalue())


def timed_ms(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def median_ms(action, repeat: int) -> float:
    return statistics.median(timed_ms(action)[0] for _ in range(repeat))


def resumed_walk(db: Path, max_items: int) -> tuple[list[float], int]:
    """Each run's time and the image sets printed when resuming in `max_items` steps, the page size changing."""
    sizes, token, steps_ms, printed = [7, 3, 50, 1, 12], None, [], 0
    while True:
        args = ["--max-items", max_items, "--page-size", sizes[len(steps_ms) % len(sizes)]]
        elapsed, response = timed_ms(lambda: cli(db, *args, *(["--starting-token", token] if token else [])))
        steps_ms.append(elapsed)
        printed += len(response["imageSetsMetadataSummaries"])
        token = response.get("NextToken")
        if not token:
            return steps_ms, printed


def cold_search_ms(db: Path, repeat: int) -> float:
    """One EQUAL search in a fresh interpreter: what a shell user waits for, imports and store opening included."""
    command = [sys.executable, "-m", "imageset_search.server.cli", "search-image-sets", "--db", str(db),
               "--datastore-id", DEMO_DATASTORE_ID, "--search-criteria", json.dumps(BY_PATIENT)]
    return median_ms(lambda: subprocess.run(command, capture_output=True, check=True), repeat)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-sets", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-items", type=int, default=25)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        with LocalStore(db) as store:
            build_demo(store, image_sets=options.image_sets, seed=0)
        total = len(cli(db)["imageSetsMetadataSummaries"])
        walk_ms = median_ms(lambda: cli(db), options.repeat)
        walk_10_ms = median_ms(lambda: cli(db, "--page-size", 10), options.repeat)
        steps_ms, printed = resumed_walk(db, options.max_items)
        cold_ms = cold_search_ms(db, options.repeat)
    if printed != total:
        raise SystemExit(f"the resumed walk printed {printed} image sets, the full walk {total}")
    print(json.dumps({
        "image_sets": total,
        "full_walk_ms": round(walk_ms, 1),
        "full_walk_page_size_10_ms": round(walk_10_ms, 1),
        "resumed_runs": len(steps_ms),
        "resumed_step_ms": round(statistics.median(steps_ms), 1),
        "cold_search_ms": round(cold_ms, 1),
    }))


if __name__ == "__main__":
    main_bench()
