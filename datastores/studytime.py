"""The study date-and-time sort key: one fixed-width string per image set, so study-date search is an index range.

yyyyMMdd + HHmmss + ffffff (20 digits) orders exactly as the instants do, and compares as text in SQLite. A missing
time counts as 000000 (HealthImaging's rule for a bound without a time). An image set with no study date gets the
empty key: it never matches a study-date filter (every bound is 8+ digits) and sorts before every dated image set,
so it comes first in ASC and last in DESC.
"""

DAY_START = "000000"
DAY_END = "235959.999999"
NO_STUDY_DATE = ""


def study_key(date: str | None, time: str | None) -> str:
    """The sort key of a study date (yyyyMMdd) and time (HH, HHmm, HHmmss, optional .F to .FFFFFF, or None)."""
    if not date:
        return NO_STUDY_DATE
    whole, _, fraction = (time or "").partition(".")
    return date + whole.ljust(6, "0")[:6] + fraction.ljust(6, "0")[:6]
