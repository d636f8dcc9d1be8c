"""The dev corpus (tests/data/dates/dev.jsonl, 498 phrases from public date-parsing corpora) as a regression suite.

Thresholds are the issue's targets: at least 97% exact on the unambiguous cases and 90% on all of them. Every
unambiguous case is also its own test, so a regression names the phrase it broke.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from imageset_search.tools.dates import parse_date_range

CORPUS = Path(__file__).parent / "data" / "dates" / "dev.jsonl"
CASES = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def expected(case: dict) -> tuple[date | None, date | None]:
    return tuple(date.fromisoformat(case[key]) if case[key] else None for key in ("expected_start", "expected_end"))


def answer(case: dict):
    try:
        return parse_date_range(case["text"], date.fromisoformat(case["reference"]))
    except ValueError:
        return None


def test_corpus_is_the_full_copy_with_provenance():
    assert len(CASES) == 498
    assert all(case["source"] for case in CASES)


def test_accuracy_meets_the_targets():
    hits = [answer(case) == expected(case) for case in CASES]
    clear = [hit for hit, case in zip(hits, CASES) if not case["ambiguous"]]
    assert sum(clear) / len(clear) >= 0.97
    assert sum(hits) / len(hits) >= 0.90


@pytest.mark.parametrize("case", [case for case in CASES if not case["ambiguous"]], ids=lambda case: case["id"])
def test_unambiguous_case(case):
    assert answer(case) == expected(case), case["text"]
