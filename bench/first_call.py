"""How fast the FIRST tool call after `initialize` answers over stdio, on the local backend and on the AWS backend.

Usage: python bench/first_call.py [--runs 5] [--think 1.0]

Each run starts a fresh `imageset-search serve` as a desktop host does, answers initialize, sends
notifications/initialized and tools/list, waits `--think` seconds (the model's turn before its first call; 0 sends the
call at once), then times one tools/call. Two first calls are measured, each in its own process: a plain search
(`patient_id`) and one whose date phrase needs dateparser's fallback ("22 novembre 1999"). The AWS backend runs boto3
against this project's HealthImaging REST endpoint on a loopback port (the same demo store), so nothing leaves the
machine. The target is a median first call of at most 0.150 s on every backend.
Last line: one JSON object with the medians per backend and call, for --think and for 0 (no time to warm) side by
side, and how long the server's background warming took (from its debug log).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import READ_TIMEOUT_SECONDS, answer, initialize, message, server_command  # noqa: E402

from imageset_search.datastores.local.demo import build_demo  # noqa: E402
from imageset_search.datastores.testbed.endpoint import start_endpoint  # noqa: E402
from imageset_search.datastores.local.store import LocalStore  # noqa: E402

TARGET_SECONDS = 0.150
CALLS = {
    "plain": {"patient_id": "SUBJECT08701"},
    "dateparser_phrase": {"study_date": "22 novembre 1999"},
}


def first_call(command: list[str], env: dict, folder: str, arguments: dict, think: float) -> tuple[float, tuple | None]:
    """Seconds from sending the first tools/call to its answer, in a fresh server process, and the seconds its
    background warming took."""
    deadline = time.monotonic() + READ_TIMEOUT_SECONDS
    with open(Path(folder) / "stderr.log", "wb") as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env,
                                   cwd=folder)  # fmt: skip
        try:
            process.stdin.write(initialize())
            process.stdin.flush()
            answer(process.stdout, 1, deadline)
            process.stdin.write(message("notifications/initialized") + message("tools/list", 2))
            process.stdin.flush()
            answer(process.stdout, 2, deadline)
            time.sleep(think)
            call = {"name": "search_image_sets", "arguments": arguments}
            started = time.perf_counter()
            process.stdin.write(message("tools/call", 3, call))
            process.stdin.flush()
            result = answer(process.stdout, 3, deadline)
            elapsed = time.perf_counter() - started
            for _ in range(100):  # let warming finish (at most 10 s more) so its duration is logged
                if warmed_seconds(errors.name) is not None:
                    break
                time.sleep(0.1)
        finally:
            process.stdin.close()
            process.wait(timeout=READ_TIMEOUT_SECONDS)
    if result.get("isError"):
        raise RuntimeError(f"the first call failed: {result['content'][0]['text'][:200]}")
    return elapsed, warmed_seconds(errors.name)


def warmed_seconds(log: str) -> tuple[float, float] | None:
    """How long the server's background warming took, wall and CPU seconds, from its debug log (None if it had not
    finished when the process ended)."""
    found = re.findall(r"warmed in ([0-9.]+) s \(([0-9.]+) s CPU\)", Path(log).read_text())
    return (float(found[-1][0]), float(found[-1][1])) if found else None


def backends(db: Path, endpoint_url: str, folder: str) -> dict[str, tuple[list[str], dict]]:
    base = dict(os.environ, HOME=folder, IMAGESET_SEARCH_DB=str(db), IMAGESET_SEARCH_TIMEZONE="UTC",
                IMAGESET_SEARCH_DEBUG="1")  # the debug log says how long warming took  # fmt: skip
    aws = dict(base, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")  # fmt: skip
    command = server_command()
    return {
        "local": (command, base),
        "aws": (command + ["--backend", "aws", "--endpoint-url", endpoint_url], aws),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per backend, call and pause (default 5)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between tools/list and the call (default 1)")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-first-call-")
    try:
        db = Path(folder) / "demo.sqlite3"
        with LocalStore(db) as store:
            build_demo(store, image_sets=200, seed=0)
        endpoint = start_endpoint(LocalStore(db))
        try:
            found, warming = {}, {}
            for backend, (command, env) in backends(db, endpoint.url, folder).items():
                for name, arguments in CALLS.items():
                    for think in (options.think, 0.0):
                        runs = [first_call(command, env, folder, arguments, think) for _ in range(options.runs)]
                        seconds = [elapsed for elapsed, _ in runs]
                        key = f"{backend}.{name}.think_{think:g}s"
                        found[key] = round(statistics.median(seconds), 3)
                        warming.setdefault(backend, []).extend(warm for _, warm in runs if warm is not None)
                        print(f"{key:36} median {found[key]:.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f})",
                              file=sys.stderr)  # fmt: skip
        finally:
            endpoint.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    warmed = [value for key, value in found.items() if key.endswith(f"think_{options.think:g}s")]
    warm_median = {
        backend: {"wall": round(statistics.median(wall for wall, _ in values), 3),
                  "cpu": round(statistics.median(cpu for _, cpu in values), 3), "finished_runs": len(values)}
        for backend, values in warming.items() if values
    }  # fmt: skip
    print(json.dumps({"runs": options.runs, "think_s": options.think, "first_call_median_s": found,
                      "warming_median_s": warm_median,
                      "target_s": TARGET_SECONDS, "meets_target_after_think": max(warmed) <= TARGET_SECONDS,
                      "load_average_1m": round(os.getloadavg()[0], 2)}))  # fmt: skip


if __name__ == "__main__":
    main()
