"""Ranges and open bounds built from date expressions: "from A to B", "A-B", "between A and B", "since X",
"before X", "X or later", "more than 2 weeks ago" (CONVENTIONS C9, C10).

A range's sides share what one of them leaves out ("July 13-15", "5 to 16 Aug", "From December to May 2022"): a
missing month or year is taken from the other side, the start is placed by past preference (or just before an end
that is anchored), and an end without a year is the first occurrence on or after the start. A phrase with a dash is
first read whole ("2018-7-17", "Sep-2012") and only split into a range when it does not read whole.
"""

import re
from datetime import date, timedelta

from .calendar import Span, week_span, year_span
from .errors import DateParseError
from .grammar import Reading, duration, is_month, is_year, moved, read, read_span
from .partial import Partial, as_partial, earliest_on_or_after, exact_span, latest_on_or_before
from .regex import LazyPattern
from .words import DURATION, alternatives

Bounds = tuple[date | None, date | None]

_CONNECTOR = r" (?:to|until|till|til|through|thru|up to|up until|-|~)(?: the)? "
_SPACED = re.compile(_CONNECTOR)
_SPACED_AND = re.compile(_CONNECTOR + "| and (?:the )?")
_DASH = re.compile(r"(?<! )-(?! )|(?<! )- | -(?! )")
_RANGE = re.compile(r"(?:(between|from|starting|starting from|starting on|beginning|beginning on|since) )?(.+)")
_CONTEXT = re.compile(r"(.+?) (between|from) (.+)")

_SUBJECT = r"(?:(?:the )?(?:year|date|study date|dates?) )?"


def _words(spaced: str) -> str:
    """An alternation of `|`-separated phrases, longest first ("beginning on X" is not "beginning" + "on X")."""
    return alternatives(re.escape(word) for word in spaced.split("|"))


_SINCE = _words("since|starting|starting from|starting on|starting in|beginning|beginning on|beginning from|"
                "beginning in|ever since|as of|on or after|no earlier than|not earlier than|not before|effective|"
                "effective from|>=")
_AFTER = _words("after|later than|greater than|newer than|more recent than|post|>")
_BEFORE = _words("before|earlier than|prior to|older than|<|until before|ahead of|pre")
_UNTIL = _words("until|till|til|through|thru|up to|up until|upto|up to and including|no later than|not later than|"
                "not after|on or before|by|<=|ending|ending on|ending in")
_SINCE_AFTER = _words("or later|and later|and after|or after|onwards|onward|and onwards|and beyond|or newer|"
                      "and newer|and greater|or greater|or more recent|and up|to present|to now|until now|till now|"
                      "to date|till date|until date|until present|till present|until today|till today|to today|"
                      "through today|forward|on|+")
_UNTIL_AFTER = _words("or earlier|and earlier|or before|and before|or older|and older")

OPEN_FORMS = [
    (LazyPattern(rf"{_SUBJECT}{_SINCE} (.+)"), "since"),
    (LazyPattern(rf"{_SUBJECT}{_AFTER} (.+)"), "after"),
    (LazyPattern(rf"{_SUBJECT}{_BEFORE} (.+)"), "before"),
    (LazyPattern(rf"{_SUBJECT}{_UNTIL} (.+)"), "until"),
    (LazyPattern(rf"(?:from )?{_SUBJECT}(.+?) {_SINCE_AFTER}"), "since"),
    (LazyPattern(rf"{_SUBJECT}(.+?) {_UNTIL_AFTER}"), "until"),
]
_OLDER = LazyPattern(rf"(?:more than|over|older than|at least) ({DURATION})(?: (?:ago|old|before (today|now|yesterday"
                     rf"|tomorrow)))?")
_NEWER = LazyPattern(rf"(?:less than|under|newer than|younger than|not older than|no older than|at most|within) "
                     rf"({DURATION})(?: ago| old)?")
_TO_DATE = LazyPattern(r"(?:till|until|til|up to|to|up till) (?:date|now|today|present)")
_ANCHORS = {None: 0, "today": 0, "now": 0, "yesterday": -1, "tomorrow": 1}


def read_open(text: str, today: date) -> Bounds | None:
    """An open bound: since / after / before / until X, X or later, more than N units ago, to date."""
    if _TO_DATE.fullmatch(text):
        return None, today
    match = _OLDER.fullmatch(text)
    if match and duration(match.group(1)):
        anchor = today + timedelta(days=_ANCHORS[match.group(2)])
        return None, moved(anchor, duration(match.group(1)), -1) - timedelta(days=1)
    match = _NEWER.fullmatch(text)
    if match and duration(match.group(1)):
        return moved(today, duration(match.group(1)), -1), today
    for pattern, kind in OPEN_FORMS:
        match = pattern.fullmatch(text)
        span = read_span(match.group(1), today) if match else None
        if span:
            return _open_bounds(span, kind, today)
    return None


def read_both_open(text: str, today: date) -> Bounds | None:
    """Two open bounds joined by "and": "after 2010 and before 2015" is what both allow."""
    for match in re.finditer(" and ", text):
        lower, upper = read_open(text[: match.start()], today), read_open(text[match.end():], today)
        if lower and upper:
            starts = [day for day in (lower[0], upper[0]) if day is not None]
            ends = [day for day in (lower[1], upper[1]) if day is not None]
            return (max(starts) if starts else None), (min(ends) if ends else None)
    return None


def _open_bounds(span: Span, kind: str, today: date) -> Bounds:
    """The bounds of an open form; a start after today leaves the upper side open instead of ending before it."""
    if kind == "before":
        return None, span[0] - timedelta(days=1)
    if kind == "until":
        return None, span[1]
    start = span[0] if kind == "since" else span[1] + timedelta(days=1)
    return start, today if start <= today else None


def read_range(text: str, today: date) -> Span | None:
    """A closed range "A to B" / "between A and B" / "A-B", or one inside a context ("last week between Fri and
    Sun", "November between 19 and 20")."""
    match = _CONTEXT.fullmatch(text)
    if match:
        context = read(match.group(1), today)
        if context is not None:
            found = _split(match.group(3), today, match.group(2) == "between", context)
            if found:
                return found
    match = _RANGE.fullmatch(text)
    return _split(match.group(2), today, match.group(1) == "between", None)


def _split(text: str, today: date, allow_and: bool, context: Reading | None) -> Span | None:
    """The first split of `text` at a connector where both sides read, joined into one span."""
    problem = None
    connectors = _SPACED_AND if allow_and else _SPACED
    for match in [*connectors.finditer(text), *_DASH.finditer(text)]:
        left, right = text[: match.start()].strip(), text[match.end():].strip()
        try:
            start, end = read(left, today, bare=True), read(right, today, bare=True)
            if start is not None and end is not None:
                return join(_within(start, context), _within(end, context), today)
        except DateParseError as error:
            problem = problem or error
    if problem:
        raise problem
    return None


def _within(side: Reading, context: Reading | None) -> Reading:
    """A range side placed inside a leading context: a weekday in a week, a day in a month."""
    if context is None or not isinstance(side, Partial):
        return side
    if isinstance(context, Partial):
        return side.fills(context) if side.month is None else side
    length = (context[1] - context[0]).days + 1
    if side.weekday is not None and side.day is None and length == 7:
        day = week_span(context[0])[0] + timedelta(days=side.weekday)
        return day, day
    if side.day is not None and side.month is None and is_month(context):
        return side.fills(as_partial(context))
    return side


def join(start: Reading, end: Reading, today: date) -> Span:
    """One span from a range's two sides, sharing months and years between them (CONVENTIONS C9)."""
    end = _year_suffix(start, end)
    start, end = _share_months(start, end)
    first = _place_start(start, end, today)
    last = _place_end(end, first[0])
    if last[1] < first[0]:
        raise DateParseError("the range ends before it starts; put the earlier date first")
    return first[0], last[1]


def _year_suffix(start: Reading, end: Reading) -> Reading:
    """ "2019-20", "1998-99": after a year, a lone two-digit number is the last two digits of the end year."""
    bare_day = isinstance(end, Partial) and end.day is not None and (end.year, end.month, end.weekday) == (
        None, None, None)
    if isinstance(start, Partial) or not is_year(start) or not bare_day:
        return end
    if end.day < 10:
        raise DateParseError("after a year, a range must end with a year or a month, not a day number")
    return year_span(start[0].year - start[0].year % 100 + end.day)


def _share_months(start: Reading, end: Reading) -> tuple[Reading, Reading]:
    """ "5 to 16 Aug": the start takes the end's month; "Aug 5 - 16": the end takes the start's."""
    if isinstance(start, Partial) and isinstance(end, Partial):
        if start.day is not None and start.month is None and end.month is not None:
            start = Partial(start.year, end.month, start.day, start.weekday)
        if end.day is not None and end.month is None and start.month is not None:
            end = Partial(end.year, start.month, end.day, end.weekday)
    return start, end


def _place_start(start: Reading, end: Reading, today: date) -> Span:
    if not isinstance(start, Partial):
        return start
    if start.year is not None:
        return exact_span(start)
    if not isinstance(end, Partial):
        return latest_on_or_before(start, end[0])
    if end.year is not None:
        return latest_on_or_before(start, exact_span(end)[0])
    return latest_on_or_before(start, today)


def _place_end(end: Reading, start: date) -> Span:
    if not isinstance(end, Partial):
        return end
    if end.year is not None:
        return exact_span(end)
    return earliest_on_or_after(end, start)
