"""Score the date normalizer on its corpora (JSON lines with text, reference, expected_start, expected_end, category,
ambiguous and, in mine.jsonl, refused) and time it.

Usage: python bench/dates.py [CORPUS.jsonl ...] [--repeat N]   (default: every corpus in tests/data/dates)

Misses go to stderr, one a line. The last line of stdout is one JSON object: per corpus n, accuracy,
accuracy_unambiguous and per-category accuracy (a case marked refused is a hit when it is refused); then, over all
phrases, median_ms and p95_ms (per phrase, warm, the median over --repeat passes), first_call_ms (import plus the
first corpus's first phrase, in a fresh interpreter) and first_call_unreadable_ms (the same for a phrase no rule
reads, which tries every rule: the worst first call), each the median of 5 fresh interpreters, with their CPU times
(first_call_cpu_ms, first_call_unreadable_cpu_ms).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

FIRST_CALL = (
    "import time; t, cpu = time.perf_counter(), time.process_time(); from datetime import date; "
    "from imageset_search.tools.dates import DateParseError, parse_date_range\n"
    "try:\n    parse_date_range({text!r}, date.fromisoformat({reference!r}))\n"
    "except DateParseError:\n    pass\n"
    "print((time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000)"
)
UNREADABLE = {"text": "no date in here", "reference": "2026-12-01"}
CORPORA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dates"


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as corpus:
        return [json.loads(line) for line in corpus if line.strip()]


def answer(parse, case: dict) -> tuple[str | None, str | None] | str:
    try:
        start, end = parse(case["text"], date.fromisoformat(case["reference"]))
    except ValueError as error:
        return f"error: {error}"[:120]
    return (start.isoformat() if start else None, end.isoformat() if end else None)


def first_call_ms(case: dict) -> tuple[float, float]:
    """Import and first phrase in a fresh interpreter, wall and CPU milliseconds: what a desktop host pays on its
    first date. Bytecode is written and kept (the first run is not counted), as for an installed package, even where
    the environment says not to write it; CPU time is the steadier figure on a shared machine."""
    code = FIRST_CALL.format(text=case["text"], reference=case["reference"])
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
            for _ in range(6)][1:]
    walls, cpus = zip(*(map(float, run.split()) for run in runs))
    return statistics.median(walls), statistics.median(cpus)


def score(cases: list[dict], parse) -> dict:
    hits, by_category = [], {}
    for case in cases:
        got = answer(parse, case)
        if case.get("refused"):
            hit = isinstance(got, str)
        else:
            hit = got == (case["expected_start"], case["expected_end"])
        hits.append(hit)
        by_category.setdefault(case["category"], []).append(hit)
        if not hit:
            expected = (case["expected_start"], case["expected_end"])
            print(f"MISS {case['id']} {case['text']!r} ref {case['reference']}: got {got}, expected {expected}"
                  f"{' (ambiguous)' if case['ambiguous'] else ''}", file=sys.stderr)
    clear = [hit for hit, case in zip(hits, cases) if not case["ambiguous"]]
    return {
        "n": len(cases),
        "accuracy": round(sum(hits) / len(hits), 4),
        "accuracy_unambiguous": round(sum(clear) / len(clear), 4) if clear else None,
        "per_category": {name: round(sum(values) / len(values), 4) for name, values in sorted(by_category.items())},
    }


def timings(cases: list[dict], parse, repeat: int) -> dict:
    """Per-phrase warm times: each phrase's median over `repeat` passes, then the median and p95 of those."""
    per_case = []
    for case in cases:
        reference = date.fromisoformat(case["reference"])
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                parse(case["text"], reference)
            except ValueError:
                pass
            runs.append((time.perf_counter() - started) * 1000)
        per_case.append(statistics.median(runs))
    per_case.sort()
    return {"median_ms": round(statistics.median(per_case), 4),
            "p95_ms": round(per_case[int(0.95 * (len(per_case) - 1))], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paths = args.corpus or sorted(str(path) for path in CORPORA.glob("*.jsonl"))
    corpora = {Path(path).stem: load(path) for path in paths}
    everything = [case for cases in corpora.values() for case in cases]
    first, worst = first_call_ms(everything[0]), first_call_ms(UNREADABLE)
    from imageset_search.tools.dates import parse_date_range

    result = {"corpora": {name: score(cases, parse_date_range) for name, cases in corpora.items()}}
    result.update(timings(everything, parse_date_range, args.repeat))
    result["first_call_ms"], result["first_call_cpu_ms"] = round(first[0], 1), round(first[1], 1)
    result["first_call_unreadable_ms"], result["first_call_unreadable_cpu_ms"] = round(worst[0], 1), round(worst[1], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
