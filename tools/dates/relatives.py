"""Compound relatives: an offset applied to any anchor, and days, weekends or months counted from one.

- an offset moves an anchor day: "3 years ago tomorrow", "3 years ago this friday", "+2 days", "today week";
- a year offset places a month or a day that has none: "september 3 years ago", "christmas 2 years ago";
- a count finds the Nth such day, weekend or month strictly before or after an anchor (today when none is named):
  "4 mondays from now", "six mondays ago", "the 2nd monday before May 25", "3 sundays after next wed",
  "the day after Monday", "2 weekends ago", "1 weekend from now", "2 septembers ago";
- "tuesday before last" / "the monday after next": a week before last tuesday / after next monday (C7).

The rules are registered after the grammar's own, so a phrase they also match ("2 days ago") is read there first.
"""

from datetime import date, timedelta

from . import calendar as cal
from .grammar import duration, moved, read, read_span, rule
from .partial import Partial
from .words import (
    COUNT, DURATION, LAST, MON, MONTHS, NEXT, ORD, UNIT, UNIT_WORDS, WD, WEEKDAYS, count_value, ordinal_value,
    relative_step,
)

_BACK = "ago|back|before today|before now"
_FORWARD = "from now|from today|hence|later|after today"
_DIRECTIONS = {"ago": -1, "back": -1, "before today": -1, "before now": -1, "before": -1, "prior to": -1,
               "from now": 1, "from today": 1, "hence": 1, "later": 1, "after today": 1, "after": 1}


def _single_day(text: str, today: date) -> date | None:
    span = read_span(text, today)
    return span[0] if span and span[0] == span[1] else None


@rule(rf"({DURATION}) ({_BACK}|{_FORWARD}) (.+)")
def _offset_of_anchor(match, today):
    """ "3 years ago tomorrow": the anchor day moved by the offset."""
    parts = duration(match.group(1))
    anchor = _single_day(match.group(3), today) if parts else None
    if anchor is None or any(unit == "hour" for _, unit in parts):
        return None
    day = moved(anchor, parts, _DIRECTIONS[match.group(2)])
    return day, day


@rule(rf"(.+) ({DURATION}) ({_BACK}|{_FORWARD})")
def _year_offset_placing(match, today):
    """ "september 3 years ago": a month (or a day of a month) in the year the offset lands in."""
    parts = duration(match.group(2))
    if not parts or any(unit not in ("year", "decade") for _, unit in parts):
        return None
    found = read(match.group(1), today)
    if not isinstance(found, Partial) or found.year is not None or found.month is None:
        return None
    return found._replace(year=moved(today, parts, _DIRECTIONS[match.group(3)]).year)


@rule(rf"\+ ?({DURATION})")
def _plus(match, today):
    """ "+2 days", "+12 weeks": that many units from today."""
    parts = duration(match.group(1))
    day = moved(today, parts, 1) if parts else None
    return (day, day) if day else None


@rule(rf"(?:at )?(?:this time|this day|this date|the same day|same day|today) ({LAST}|{NEXT}) ({UNIT})")
def _same_day_of(match, today):
    """ "this time last year", "same day last month", "today next week": today moved by one unit."""
    unit = UNIT_WORDS.get(match.group(2))
    if unit in (None, "hour"):
        return None
    day = cal.shift(today, unit, relative_step(match.group(1)))
    return day, day


@rule(r"(today|tomorrow|tmrw|yesterday) (week|fortnight)")
def _day_week(match, today):
    """ "today week", "tomorrow week": a week (a fortnight) on from that day, as said in Britain."""
    anchor = _single_day(match.group(1), today)
    day = cal.shift(anchor, match.group(2), 1)
    return day, day


@rule(rf"({WD}) (before last|after next)")
def _weekday_beyond(match, today):
    """ "tuesday before last": the one a week before last tuesday; "monday after next": a week after next monday."""
    weekday = WEEKDAYS[match.group(1)]
    if match.group(2) == "before last":
        day = today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1) - timedelta(weeks=1)
    else:
        day = cal.week_span(today)[0] + timedelta(days=14 + weekday)
    return day, day


@rule(rf"(?:({COUNT}|{ORD}) )?({WD}|weekend|day|{MON})(s?) (?:(before|prior to|after) (.+)|({_BACK}|{_FORWARD}))")
def _counted(match, today):
    """The Nth day, weekday, weekend or month strictly before or after an anchor (today when none is named). Without
    a count it takes one thing and a named anchor ("the monday before May 25"), so "2 septembers ago" is never read
    as the 2nd of "septembers ago"."""
    word, unit, plural, relation, anchor_text, offset = match.groups()
    if word is None and (plural or offset):
        return None
    count = 1 if word is None else ordinal_value(word) if word[-2:] in ("st", "nd", "rd", "th") else count_value(word)
    anchor = read_span(anchor_text, today) if anchor_text else (today, today)
    if count < 1 or anchor is None:
        return None
    return _nth(unit, count, _DIRECTIONS[relation or offset], anchor)


def _nth(unit: str, count: int, sign: int, anchor: cal.Span) -> cal.Span:
    edge = anchor[0] if sign < 0 else anchor[1]
    if unit == "day":
        day = edge + timedelta(days=sign * count)
        return day, day
    if unit in MONTHS:
        month = MONTHS[unit]
        first = date(edge.year, month, 1)
        if sign < 0 and first >= edge.replace(day=1):
            first = first.replace(year=first.year - 1)
        if sign > 0 and first <= edge.replace(day=1):
            first = first.replace(year=first.year + 1)
        return cal.month_span(first.year + sign * (count - 1), month)
    weekday = WEEKDAYS.get(unit, 6 if sign < 0 else 5)  # a weekend is counted by its Sunday back, its Saturday on
    step = (edge.weekday() - weekday - 1) % 7 + 1 if sign < 0 else (weekday - edge.weekday() - 1) % 7 + 1
    day = edge + timedelta(days=sign * step) + timedelta(weeks=sign * (count - 1))
    if unit == "weekend":
        return (day - timedelta(days=1), day) if sign < 0 else (day, day + timedelta(days=1))
    return day, day
