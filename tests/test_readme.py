"""The README says only what works: its commands parse with the real parser, its date phrases read."""

import re
import shlex
from datetime import date
from pathlib import Path

import pytest

from imageset_search.server.cli import build_parser
from imageset_search.tools.dates import parse_date_range

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
TODAY = date(2026, 12, 1)


def shell_lines() -> list[str]:
    """Every command line of the README's sh blocks, continuations joined."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        lines += block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip()]


def imageset_commands() -> list[list[str]]:
    found = []
    for line in shell_lines():
        for part in re.split(r"&&|&$", line):
            words = shlex.split(part.strip())
            while words and "=" in words[0]:  # leading VAR=value assignments
                words = words[1:]
            if words[:1] == ["imageset-search"]:
                found.append(words[1:])
    return found


def date_rows() -> list[tuple[str, str]]:
    """(phrase, the range its row states) for every phrase of the README's date table."""
    table = README.split("## Date phrases understood", 1)[1].split("##", 1)[0]
    rows = [row.split("|") for row in table.splitlines() if row.startswith("| `")]
    return [(phrase, cells[2].strip()) for cells in rows for phrase in re.findall(r"`([^`]+)`", cells[1])]


def stated_range(text: str) -> tuple[date | None, date | None]:
    """'2026-03-01 to 2026-03-31', '... to today', 'up to D', 'from D' or one day 'D', as (start, end)."""
    day = {"today": TODAY} | {found: date.fromisoformat(found) for found in re.findall(r"\d{4}-\d{2}-\d{2}", text)}
    if match := re.fullmatch(r"up to (\S+)", text):
        return None, day[match[1]]
    if match := re.fullmatch(r"(\S+) to (\S+)", text):
        return day[match[1]], day[match[2]]
    if match := re.fullmatch(r"from (\S+)", text):
        return day[match[1]], None
    return day[text], day[text]


def test_the_readme_has_both_set_up_commands():
    assert "<!-- main-command -->" in README and "imageset-search demo" in README
    assert "<!-- test-command -->" in README and "python -m pytest" in README


@pytest.mark.parametrize("words", imageset_commands(), ids=" ".join)
def test_every_command_line_parses(words):
    assert words, "a bare imageset-search line"
    args = build_parser().parse_args(words)
    assert callable(args.run)


def test_the_commands_cover_every_sub_command():
    named = {words[0] for words in imageset_commands()}
    assert {"demo", "demo-data", "search", "search-image-sets", "serve", "serve-api", "import"} <= named


@pytest.mark.parametrize(("phrase", "stated"), date_rows())
def test_every_date_phrase_reads_as_its_row_states(phrase, stated):
    assert parse_date_range(phrase, TODAY) == stated_range(stated)


def test_the_date_table_is_read_whole():
    assert len(date_rows()) == 44 and all(stated_range(stated) for _, stated in date_rows())


def test_the_last_march_example_reads_as_the_readme_says():
    assert parse_date_range("studies from last March", TODAY) == (date(2026, 3, 1), date(2026, 3, 31))
