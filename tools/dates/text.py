"""A date phrase brought to one spelling before the grammar reads it.

People and models write the same date many ways: "Sep. 2012", "sep-2012", "dec/2018", "3p.m.", "the '40s", "mar3",
"twenty second". Normalizing first (lower case, number words as digits, times of day dropped (see `times`) because
only the calendar day matters, abbreviation dots and slashes next to words made spaces, letters and digits split
apart) lets each grammar rule be written once. Range dashes are kept: "nov 18-dec 19" is a range, and the grammar
decides where it splits.
"""

import re

from datetime import date

from .calendar import closest_century
from .numbers import spell_numbers
from .times import SUBSTITUTIONS as TIMES
from .words import MISSPELLINGS

_UNITS = r"((?:\d+|a few|a couple of|couple of|several|few) (?:days?|weeks?|wks?|months?|mos?|years?|yrs?))"
_SUBSTITUTIONS = [
    (re.compile(r"\b(?:" + "|".join(MISSPELLINGS) + r")\b"), lambda match: MISSPELLINGS[match.group(0)]),
    (re.compile(r"[\u2010-\u2015\u2212]"), "-"),
    (re.compile(r"[\u2018\u2019\u02bc`]"), "'"),
    (re.compile(r"\s+"), " "),
    (re.compile(r"\.\.+"), " to "),
    *TIMES,
    # Decades: "1970's" / "'40s" / "90 s" -> "1970s" / "40s" / "90s".
    (re.compile(r"(?<=\d)'s\b"), "s"),
    (re.compile(r"'(?=\d\ds\b)"), ""),
    (re.compile(r"\b(\d{2}|\d{4}) s\b"), r"\1s"),
    (re.compile(r"\bw/c\b"), "week commencing"),
    (re.compile(r"\b(in|of) the year (?=\d)"), r"\1 "),
    (re.compile(r"\b(?:a )?half (?:a )?year (?=ago|back|from now|later|hence)"), "6 months "),
    (re.compile(r"\bmid-"), "mid "),
    (re.compile(r"\bweek-ends?\b"), "weekend"),
    (re.compile(r"\b(pre|post)-(?=\d)"), r"\1 "),
    (re.compile(r"\b(days?|weeks?|wks?|months?|years?|fortnights?)'?s?'? time\b"), r"\1"),  # "in 2 weeks' time"
    # "the 5 days before X" is the span up to X, while "5 days before X" is one day (CONVENTIONS C5).
    (re.compile(rf"\bthe {_UNITS} (?:before|prior to)\b"), r"\1 leading up to"),
    (re.compile(rf"\bthe {_UNITS} after\b"), r"\1 following"),
    (re.compile(r"-to-"), " to "),
    (re.compile(r"'"), ""),
    (re.compile(r"[,;:!?()\[\]\"]"), " "),
    (re.compile(r"(?<=[a-z])\."), " "),
    (re.compile(r"\.(?!\d)|(?<!\d)\."), " "),
    (re.compile(r"\s*/\s*"), "/"),
    (re.compile(r"(?<=[a-z])/|/(?=[a-z])"), " "),
    (re.compile(r"([<>])\s*="), r" \1= "),
    (re.compile(r"([<>])(?!=)"), r" \1 "),
    (re.compile(r"(?<=[a-z])(?=\d)"), " "),
    (re.compile(r"(?<=\d)(?!(?:st|nd|rd|th|s)\b)(?=[a-z])"), " "),
    (re.compile(r"(?<![\d-])\bw (?=\d{1,2}\b)"), "week "),
    (re.compile(r"\s+"), " "),
]


_SHORT_YEAR = re.compile(r"'(\d{2})(?![\ds])")


def normalize(text: str, today: date) -> str:
    """The phrase in the grammar's spelling: lower case, digits for numbers, four-digit years ("May '19" is May
    2019), no times of day, single spaces."""
    text = spell_numbers(" ".join(text.lower().split()))
    text = _SHORT_YEAR.sub(lambda match: " " + str(closest_century(int(match.group(1)), today)), text)
    for pattern, replacement in _SUBSTITUTIONS:
        text = pattern.sub(replacement, text)
    return text.strip(" -")
