"""Score one trial: the model's answers against answers.py's, by each request's kind, with the call log's totals.

Usage: python bench/model_trials/score.py expected.json given-text.json [--log trial-text.jsonl]

given-*.json is {request id: answer} as the model gave it (a request left out counts as wrong). Kinds (requests.json):
number (equal as integers), set (the same items in any order, case-insensitive), ordered (the same items in the
same order), text (equal, case-insensitive, outer spaces ignored). Prints one line per request, then one JSON
object: right, of, and with --log the calls, errors and bytes the model read.
"""

import argparse
import json
from pathlib import Path

from ask import tally


def _words(items) -> list[str]:
    return [str(item).strip().casefold() for item in (items if isinstance(items, list) else [items])]


def right(kind: str, expected, given) -> bool:
    if given is None:
        return False
    if kind == "number":
        try:
            return int(str(given).strip()) == expected
        except ValueError:
            return False
    if kind == "set":
        return sorted(set(_words(given))) == sorted(set(_words(expected)))
    if kind == "ordered":
        return _words(given) == _words(expected)
    return _words(given) == _words(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("expected", type=Path)
    parser.add_argument("given", type=Path)
    parser.add_argument("--log", type=Path, help="the trial's call log, to report calls and bytes")
    options = parser.parse_args()
    requests = json.loads((Path(__file__).parent / "requests.json").read_text())
    expected, given = json.loads(options.expected.read_text()), json.loads(options.given.read_text())
    score = 0
    for request in requests:
        ok = right(request["kind"], expected[request["id"]], given.get(request["id"]))
        score += ok
        print(f"{request['id']} {'right' if ok else 'WRONG'}  expected {json.dumps(expected[request['id']])[:80]}"
              f"  given {json.dumps(given.get(request['id']))[:80]}")  # fmt: skip
    summary = {"right": score, "of": len(requests)} | (tally(options.log) if options.log else {})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
