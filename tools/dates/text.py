"""A date phrase brought to one spelling before the grammar reads it.

People and models write the same date many ways: "Sep. 2012", "sep-2012", "dec/2018", "3p.m.", "the '40s", "mar3",
"twenty second". Normalizing first (lower case, number words as digits, times of day dropped because only the calendar
day matters, abbreviation dots and slashes next to words made spaces, letters and digits split apart) lets each grammar
rule be written once. Range dashes are kept: "nov 18-dec 19" is a range, and the grammar decides where it splits.
"""

import re

from datetime import date

from .calendar import closest_century
from .numbers import spell_numbers

_SUBSTITUTIONS = [
    (re.compile(r"[\u2010-\u2015\u2212]"), "-"),
    (re.compile(r"[\u2018\u2019\u02bc`]"), "'"),
    (re.compile(r"\s+"), " "),
    (re.compile(r"\.\.+"), " to "),
    # ISO 8601 times after a date: only the calendar day is needed (CONVENTIONS C15).
    (re.compile(r"(?<=\d)t\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?\b"), " "),
    (re.compile(r"\b(?:at )?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?: ?[ap]\.?m\b\.?)?"), " "),
    (re.compile(r"\b(?:at )?\d{1,2} ?[ap]\.?m\b\.?"), " "),
    (re.compile(r"\b(?:at )?\d{1,2}[ap]\b\.?"), " "),
    (re.compile(r"\blast night\b"), "yesterday"),
    (re.compile(r"\b(?:tonight|this (?:morning|afternoon|evening))\b"), "today"),
    (re.compile(r"\b(?:in the |at |this )?(?:morning|afternoon|evening|night|noon|midnight)\b"), " "),
    # Decades: "1970's" / "'40s" / "90 s" -> "1970s" / "40s" / "90s".
    (re.compile(r"(?<=\d)'s\b"), "s"),
    (re.compile(r"'(?=\d\ds\b)"), ""),
    (re.compile(r"\b(\d{2}|\d{4}) s\b"), r"\1s"),
    (re.compile(r"\bw/c\b"), "week commencing"),
    (re.compile(r"\bmid-"), "mid "),
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
