"""Dates with missing fields ("March", "the 15th", "Friday the 13th", "Feb 29") and how they are placed in time.

Past preference (CONVENTIONS C6): an underspecified date means its most recent occurrence whose start is not after
today, and every field given (a weekday too) must match. Medical image searches look back, so "March" said in
November is this year's March, and said in February it is last year's. The other side of a range is placed as the
first occurrence on or after the range's start ("from Nov to March" said in September: Nov last year to March).
"""

from collections import namedtuple
from datetime import date, timedelta

from .calendar import Span, add_months, month_end, month_span, valid_day, year_span
from .errors import DateParseError

LOOKBACK_YEARS = 40
LOOKBACK_MONTHS = 480
NEVER_MATCHES = "no recent date matches that day, month and weekday together; check them or add the year"


class Partial(namedtuple("Partial", "year month day weekday", defaults=(None, None, None, None))):
    """The fields a phrase gave; None = not said. `weekday` is Monday=0 .. Sunday=6. (A named tuple, not a
    dataclass, so reading a first date does not import dataclasses and inspect.)"""

    __slots__ = ()

    def fills(self, other: "Partial") -> "Partial":
        """This partial with its unsaid fields taken from `other`."""
        return Partial(
            self.year if self.year is not None else other.year,
            self.month if self.month is not None else other.month,
            self.day if self.day is not None else other.day,
            self.weekday,
        )


def exact_span(partial: Partial) -> Span:
    """The span of a partial whose year is known (a weekday, if given, is not checked against a full date)."""
    year, month, day = partial.year, partial.month, partial.day
    if month is None:
        if day is not None:
            raise DateParseError("a day of the month needs a month to go with its year")
        return year_span(year)
    if day is None:
        return month_span(year, month)
    found = valid_day(year, month, day)
    if found is None:
        raise DateParseError("that month or day does not exist: not a calendar date")
    return found, found


def _matches(candidate: date | None, weekday: int | None) -> bool:
    return candidate is not None and (weekday is None or candidate.weekday() == weekday)


def latest_on_or_before(partial: Partial, limit: date) -> Span:
    """Past preference: the most recent occurrence of a year-less partial starting on or before `limit`."""
    if partial.month is None and partial.day is None:
        back = (limit.weekday() - partial.weekday) % 7
        day = limit - timedelta(days=back)
        return day, day
    if partial.day is None:
        year = limit.year if partial.month <= limit.month else limit.year - 1
        return month_span(year, partial.month)
    for candidate in _candidates(partial, limit, step=-1):
        if candidate <= limit:
            return candidate, candidate
    raise DateParseError(NEVER_MATCHES)


def earliest_on_or_after(partial: Partial, limit: date) -> Span:
    """The first occurrence of a year-less partial that ends on or after `limit` (the far side of a range)."""
    if partial.month is None and partial.day is None:
        day = limit + timedelta(days=(partial.weekday - limit.weekday()) % 7)
        return day, day
    if partial.day is None:
        year = limit.year if partial.month >= limit.month else limit.year + 1
        return month_span(year, partial.month)
    for candidate in _candidates(partial, limit, step=1):
        if candidate >= limit:
            return candidate, candidate
    raise DateParseError(NEVER_MATCHES)


def _candidates(partial: Partial, around: date, step: int):
    """Dates matching a partial with a day, walking month by month (or year by year) from `around`."""
    if partial.month is not None:
        for offset in range(LOOKBACK_YEARS):
            candidate = valid_day(around.year + step * offset, partial.month, partial.day)
            if _matches(candidate, partial.weekday):
                yield candidate
        return
    for offset in range(LOOKBACK_MONTHS):
        first = add_months(around.replace(day=1), step * offset)
        candidate = valid_day(first.year, first.month, partial.day)
        if _matches(candidate, partial.weekday):
            yield candidate


def resolve(partial: Partial, today: date) -> Span:
    """The span a partial means said on `today`: exact with a year, else by past preference."""
    if partial.year is not None:
        return exact_span(partial)
    return latest_on_or_before(partial, today)


def as_partial(span: Span) -> Partial:
    """A resolved single day or whole month seen as the fields it fixes, so a range's other side can borrow them."""
    start, end = span
    if start == end:
        return Partial(start.year, start.month, start.day)
    if start.day == 1 and end == month_end(start.year, start.month):
        return Partial(start.year, start.month)
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return Partial(start.year)
    return Partial(start.year, start.month, start.day)

