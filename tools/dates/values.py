"""Loose non-date values made exact: trimmed IDs, validated UIDs, DICOM dates and times, sort words.

SearchImageSets matches IDs exactly and silently returns nothing for a UID with a typo, so a value that cannot match
is refused here with an error naming the argument and the rule, never the value itself (it may be patient data).
"""

import re
from datetime import date

from imageset_search.datastores.healthimaging import UID_RE, VALUE_MAX_LENGTH

_DATE = re.compile(r"(\d{4})([-./]?)(\d{2})\2(\d{2})")
_TIMES = (re.compile(r"(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?"),
          re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"))

SORT_ORDERS = {
    "ASC": ("asc", "ascending", "oldest first", "oldest", "earliest first", "earliest", "increasing", "up",
            "old to new", "oldest to newest", "chronological"),
    "DESC": ("desc", "descending", "newest first", "newest", "latest first", "latest", "most recent first",
             "most recent", "recent first", "decreasing", "down", "new to old", "newest to oldest",
             "reverse chronological"),
}
SORT_FIELDS = {
    "updatedAt": ("updated", "updated at", "update time", "update", "last updated", "modified",
                  "last modified"),
    "createdAt": ("created", "created at", "creation time", "create time", "creation", "imported",
                  "import time"),
    "DICOMStudyDateAndTime": ("study date", "studydate", "study date and time",
                              "study time", "study", "date of study", "acquisition date", "exam date", "scan date"),
}


class NormalizeError(ValueError):
    """A value that breaks a rule; `field` is the argument's name. The message never contains the value."""

    def __init__(self, field: str, rule: str):
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


def _text(value, field: str) -> str:
    """A trimmed string; whole numbers are taken as their digits (models sometimes send an ID as a number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise NormalizeError(field, f"must be a string, not {type(value).__name__}")
    return value.strip()


def clean_id(value, field: str) -> str:
    """An ID (patient, accession, study): trimmed, 1-512 characters, matched exactly and case-sensitively."""
    text = _text(value, field)
    if not text:
        raise NormalizeError(field, "is empty; send the ID, or leave the argument out")
    if len(text) > VALUE_MAX_LENGTH:
        raise NormalizeError(field, f"is longer than {VALUE_MAX_LENGTH} characters, the service's limit for IDs")
    return text


def clean_uid(value, field: str) -> str:
    """A DICOM UID: trimmed, 1-512 characters of digits and dots only (the service's pattern [0-9.]+)."""
    text = clean_id(value, field)
    if not UID_RE.fullmatch(text):
        raise NormalizeError(field, "must contain only digits and dots (pattern [0-9.]+, e.g. 1.2.840.10008.1.2); "
                                    "it has letters, spaces or other characters inside")
    return text


def dicom_date(value, field: str) -> str:
    """A DICOM date `yyyyMMdd` from yyyyMMdd, yyyy-MM-dd, yyyy.MM.dd or yyyy/MM/dd, checked to be a calendar date."""
    match = _DATE.fullmatch(_text(value, field))
    if not match:
        raise NormalizeError(field, "must be a date as yyyyMMdd, yyyy-MM-dd or yyyy.MM.dd (e.g. 20230115)")
    year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    try:
        date(year, month, day)
    except ValueError:
        raise NormalizeError(field, "is not a calendar date (check the month and the day; yyyyMMdd)") from None
    return f"{year:04d}{month:02d}{day:02d}"


def dicom_time(value, field: str) -> str:
    """A DICOM time `HHmmss[.FFFFFF]` from HHmmss, HHmm, HH, HH:mm or HH:mm:ss, with up to 6 fraction digits.

    Missing minutes or seconds are zero, so "14:30" is 143000: the service compares times as full HHmmss.
    """
    text = _text(value, field)
    match = _TIMES[0].fullmatch(text) or _TIMES[1].fullmatch(text)
    if not match:
        raise NormalizeError(field, "must be a time as HHmmss, HH:mm or HH:mm:ss, optionally with a fraction "
                                    "(e.g. 143000 or 14:30:00.5)")
    hours, minutes, seconds = (int(part or 0) for part in match.group(1, 2, 3))
    if hours > 23 or minutes > 59 or seconds > 59:
        raise NormalizeError(field, "is not a time of day (hours 00-23, minutes and seconds 00-59)")
    fraction = f".{match.group(4)}" if match.group(4) else ""
    return f"{hours:02d}{minutes:02d}{seconds:02d}{fraction}"


def _enum_word(word, field: str, table: dict[str, tuple[str, ...]]) -> str:
    """The exact enum a loose word names; unknown words get the list of allowed ones."""
    if isinstance(word, str):
        key = " ".join(word.strip().replace("_", " ").replace("-", " ").split()).lower()
        key = key.removeprefix("by ").removeprefix("sort by ").removeprefix("order by ")
        for exact, words in table.items():
            if key.replace(" ", "") == exact.lower() or key in words:
                return exact
    allowed = ", ".join(f"{exact} ({', '.join(words[:3])})" for exact, words in table.items())
    raise NormalizeError(field, f"is not a known value; use one of {allowed}")


def sort_order(word) -> str:
    """ "ASC" or "DESC" from asc, ascending, oldest first, desc, newest first, latest first, ... (any case)."""
    return _enum_word(word, "sort_order", SORT_ORDERS)


def sort_field(word) -> str:
    """ "updatedAt", "createdAt" or "DICOMStudyDateAndTime" from updated, by update time, created, study_date, ..."""
    return _enum_word(word, "sort_field", SORT_FIELDS)
