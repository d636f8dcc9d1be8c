"""The grammar of one date expression: a phrase that names a day, or a whole unit of days, on its own.

Each rule is a regex over the normalized phrase (see text) and a function that turns the match into either a
span (two inclusive dates) or a Partial (fields still to be placed in time, such as "March" or "the 15th"). Ranges and
open bounds ("from A to B", "since X") are built from these in bounds. Rules are tried in order; the first that
matches and reads wins. A rule returns None when its pattern matched but the values do not make a date in that sense,
so the next rule may try.
"""

import re
from contextvars import ContextVar
from datetime import date, timedelta

from . import calendar as cal
from .errors import DateParseError
from .partial import Partial, resolve
from .regex import LazyPattern
from .words import (
    COUNT, DAY, DURATION, HOLIDAY, HOLIDAYS, LAST, MON, MONTHS, NEXT, ORD, ORDINAL_DAY, RELATIVE,
    SEASON, SEP, UNIT, UNIT_WORDS, WD, WEEKDAYS, YEAR4, count_value, ordinal_value, relative_step,
)

Reading = cal.Span | Partial
RULES: list[tuple[LazyPattern, object]] = []
_PART = re.compile(rf"({COUNT}) ({UNIT})\b")


def rule(pattern: str):
    """Register a grammar rule: `pattern` must match the whole phrase."""

    def register(function):
        RULES.append((LazyPattern(pattern), function))
        return function

    return register


# Rules read their parts with `read`, so a long repetitive phrase ("last year's last year's ...") could branch without
# end; each phrase gets a budget of reads (no phrase of the corpora needs more than 25) and is refused past it.
READS_PER_PHRASE = 500
reads_left: ContextVar[list[int] | None] = ContextVar("reads_left", default=None)


class TooInvolved(DateParseError):
    """A phrase that needs more reads than READS_PER_PHRASE: refused at once, not tried another way."""


def read(text: str, today: date, bare: bool = False) -> Reading | None:
    """What one expression means, or None when no rule reads it. `bare` also reads lone numbers (range sides)."""
    left = reads_left.get()
    if left is not None:
        left[0] -= 1
        if left[0] < 0:
            raise TooInvolved("the phrase is too involved to read as a date; send one date or one range")
    text = text.removeprefix("the ")
    for pattern, function in RULES:
        match = pattern.fullmatch(text)
        if match:
            found = function(match, today)
            if found is not None:
                return found
    return _bare_number(text) if bare else None


def read_span(text: str, today: date) -> cal.Span | None:
    """One expression as a span, an underspecified one placed by past preference."""
    found = read(text, today)
    return resolve(found, today) if isinstance(found, Partial) else found


def _bare_number(text: str) -> Reading | None:
    """A lone number on one side of a range: a day of the month ("5 to 16 Aug"), a year ("2014-2018"), or the
    two-digit end of a year range ("1998-99"); a number that fits none of these fails when the range is joined."""
    match = re.fullmatch(rf"{DAY}(?: {YEAR4})?|{YEAR4}", text)
    if not match:
        return None
    if match.group(3):
        return cal.year_span(int(match.group(3)))
    day = int(match.group(1))
    if day == 0:
        return None
    return Partial(year=int(match.group(2)) if match.group(2) else None, day=day)


def duration(text: str) -> list[tuple[int, str]]:
    """ "2 years 1 month 21 days" -> [(2, "year"), (1, "month"), (21, "day")]; [] when a word is not a unit."""
    parts = _PART.findall(text)
    if not all(unit in UNIT_WORDS for _, unit in parts):
        return []
    return [(count_value(count), UNIT_WORDS[unit]) for count, unit in parts]


def moved(day: date, parts: list[tuple[int, str]], sign: int) -> date:
    for count, unit in parts:
        day = cal.shift(day, unit, sign * count)
    return day


def _year(text: str, today: date) -> int:
    """A 4-digit year as is, a 2-digit one as the year nearest today (CONVENTIONS C14)."""
    value = int(text)
    return value if len(text) == 4 else cal.closest_century(value, today)


def is_month(span: cal.Span) -> bool:
    start, end = span
    return start.day == 1 and end == cal.month_end(start.year, start.month)


def is_year(span: cal.Span) -> bool:
    start, end = span
    return (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year


def _this_unit(text: str, today: date) -> cal.Span | None:
    """ "the month" / "year" inside "end of the month", "1st quarter of the year": the current one."""
    unit = text.removeprefix("the ")
    return cal.unit_span(today, unit) if unit in ("week", "month", "year", "quarter", "decade") else None


_OFFSET_UNIT = re.compile(rf"in ({COUNT}) ({UNIT})|({COUNT}) ({UNIT}) (ago|from now|hence)")


def _offset_unit(text: str, today: date) -> cal.Span | None:
    """ "in 2 months", "3 weeks ago" as the period around a day: the whole unit holding that day ("the first monday
    in 2 months" is in the month two months on)."""
    match = _OFFSET_UNIT.fullmatch(text)
    if not match:
        return None
    count, word = match.group(1, 2) if match.group(1) else match.group(3, 4)
    unit = UNIT_WORDS.get(word)
    if unit not in ("week", "month", "quarter", "year"):
        return None
    sign = -1 if match.group(5) == "ago" else 1
    return cal.unit_span(cal.shift(today, unit, sign * count_value(count)), unit)


def _context(text: str, today: date) -> cal.Span | None:
    """The period a part or an ordinal is taken from: "the month", "March 2020", "in 2 months"."""
    return _this_unit(text, today) or _offset_unit(text, today) or read_span(text, today)


# ---- days named relative to today ---------------------------------------------------------------------------------

NAMED_DAYS = {"today": 0, "now": 0, "present": 0, "yesterday": -1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
              "day before yesterday": -2, "day after tomorrow": 2, "day after next": 2}


@rule(r"today|now|present|yesterday|tomorrow|tmrw|tmr|day before yesterday|day after tomorrow|day after next")
def _named_day(match, today):
    day = today + timedelta(days=NAMED_DAYS[match.group(0)])
    return day, day


@rule(rf"({DURATION}) (?:ago|back|earlier|prior|before today|before now)")
def _ago(match, today):
    parts = duration(match.group(1))
    if not parts or any(unit == "hour" for _, unit in parts):
        return None  # "3 hours ago" is today or yesterday depending on the hour, which a date does not have
    day = moved(today, parts, -1)
    return day, day


@rule(rf"(?:between )?(\d+) ?(?:-|to|or|and) ?(\d+) ({UNIT}) (?:ago|back|before today)")
def _ago_between(match, today):
    """ "6-12 months ago", "between 1 and 2 years ago": the days between the two offsets."""
    unit = UNIT_WORDS.get(match.group(3))
    if unit in (None, "hour"):
        return None
    near, far = sorted(int(count) for count in match.group(1, 2))
    return cal.shift(today, unit, -far), cal.shift(today, unit, -near)


@rule(rf"({DURATION}) (before|after|prior to|from) (.+)")
def _before_after(match, today):
    """ "2 days before yesterday", "two weeks before christmas": one day, counted from the anchor's first day."""
    parts = duration(match.group(1))
    anchor = read_span(match.group(3), today) if parts else None
    if anchor is None:
        return None
    day = moved(anchor[0], parts, 1 if match.group(2) in ("after", "from") else -1)
    return day, day


@rule(rf"({DURATION}) (leading up to|preceding|following) (.+)")
def _units_next_to(match, today):
    """ "the 5 days before christmas" (see text), "2 weeks following new year": that many units just before the
    anchor's first day or just after its last, the anchor left out."""
    parts = duration(match.group(1))
    anchor = read_span(match.group(3), today) if parts else None
    if anchor is None or any(unit == "hour" for _, unit in parts):
        return None
    if match.group(2) == "following":
        return anchor[1] + timedelta(days=1), moved(anchor[1], parts, 1)
    return moved(anchor[0], parts, -1), anchor[0] - timedelta(days=1)


@rule(rf"in ({DURATION})|({DURATION}) (?:from now|from today|later|hence|after today)")
def _from_now(match, today):
    parts = duration(match.group(1) or match.group(2))
    if not parts or any(unit == "hour" for _, unit in parts):
        return None  # "in 2 hours" is today or tomorrow depending on the hour, as "3 hours ago" is
    day = moved(today, parts, 1)
    return day, day


# ---- rolling windows (C4) -------------------------------------------------------------------------------------------

@rule(rf"(?:{LAST}|within the last|within the past|within the|within|in the last|in the past|over the last"
      rf"|over the past|the recent|recent) ({DURATION})|({COUNT}) (?:past|previous|last) ({UNIT})")
def _rolling_past(match, today):
    parts = duration(match.group(1) or f"{match.group(2)} {match.group(3)}")
    return (moved(today, parts, -1), today) if parts else None


@rule(rf"(?:in|within|over|during|for) the (?:last|past) ({UNIT})")
def _rolling_one_unit(match, today):
    """ "in the past year", "within the last month", "in the last yr": the preposition makes a span up to today, so a
    rolling window of one unit, while "last year" alone is the previous calendar year (C3)."""
    unit = UNIT_WORDS.get(match.group(1))
    return (cal.shift(today, unit, -1), today) if unit not in (None, "hour") else None


@rule(rf"{NEXT} ({DURATION})|({DURATION}) (?:next|to come|ahead)")
def _rolling_next(match, today):
    parts = duration(match.group(1) or match.group(2))
    return (today + timedelta(days=1), moved(today, parts, 1)) if parts else None


# ---- whole calendar units relative to today (C1-C3) ---------------------------------------------------------------

CALENDAR_UNITS = {"day": "day", "week": "week", "wk": "week", "weekend": "weekend", "fortnight": "fortnight",
                  "month": "month", "mth": "month", "mo": "month", "quarter": "quarter", "qtr": "quarter",
                  "half": "half", "half year": "half", "year": "year", "yr": "year", "calendar year": "year",
                  "calendar month": "month", "decade": "decade"}
_CALENDAR_UNIT = "(" + "|".join(sorted(CALENDAR_UNITS, key=len, reverse=True)) + ")"


@rule(rf"({RELATIVE}) {_CALENDAR_UNIT}")
def _relative_unit(match, today):
    return cal.step_unit(today, CALENDAR_UNITS[match.group(2)], relative_step(match.group(1)))


@rule(rf"(?:{LAST}) (?:({COUNT}) )?(?:full|complete|whole|calendar|entire) ({UNIT})")
def _whole_units_back(match, today):
    """ "the last 3 full months", "last 2 calendar years", "the last full week": the whole units before the current
    one, not a rolling window."""
    unit = UNIT_WORDS.get(match.group(2))
    if unit not in ("week", "month", "quarter", "year", "decade"):
        return None
    count = count_value(match.group(1)) if match.group(1) else 1
    return cal.step_unit(today, unit, -count)[0], cal.unit_span(today, unit)[0] - timedelta(days=1)


@rule(r"(week|weekend|month|year|quarter|decade) (after next|before last)")
def _two_away(match, today):
    return cal.step_unit(today, match.group(1), 2 if match.group(2) == "after next" else -2)


@rule(r"(week|weekend|month|quarter|year) (after|before) (.+)")
def _unit_next_to(match, today):
    """ "the week after Christmas 2020", "the month before last March": the neighbouring whole unit."""
    anchor = read_span(match.group(3), today)
    step = 1 if match.group(2) == "after" else -1
    return cal.step_unit(anchor[1] if step > 0 else anchor[0], match.group(1), step) if anchor else None


@rule(r"weekend")
def _the_weekend(match, today):
    return cal.unit_span(today, "weekend")


# ---- to date and part of today's unit (C10) ----------------------------------------------------------------------

@rule(r"(week|month|quarter|year) to date|(y|q|m|w)td|(?:earlier|so far) (?:this|in the) (week|month|year)"
      r"|(?:this|the) (week|month|year) so far")
def _to_date(match, today):
    letters = {"y": "year", "q": "quarter", "m": "month", "w": "week"}
    unit = match.group(1) or letters.get(match.group(2)) or match.group(3) or match.group(4)
    return cal.unit_span(today, unit)[0], today


@rule(r"later (?:this|in the) (week|month|quarter|year)|(?:rest|remainder) of (?:the|this) (week|month|quarter|year)")
def _rest_of(match, today):
    """ "later this week", "the rest of the month": today to the end of the unit."""
    return today, cal.unit_span(today, match.group(1) or match.group(2))[1]


@rule(r"(month|year) of (.+)")
def _unit_named(match, today):
    """ "the month of March", "the year of 2012": the period named, when it is that unit."""
    span = _context(match.group(2), today)
    if span is None:
        return None
    return span if (is_month(span) if match.group(1) == "month" else is_year(span)) else None


# ---- weekdays (C6, C7) --------------------------------------------------------------------------------------------

@rule(rf"({WD})")
def _weekday(match, today):
    return Partial(weekday=WEEKDAYS[match.group(1)])


@rule(rf"(?:this|current) ({WD})")
def _this_weekday(match, today):
    day = cal.week_span(today)[0] + timedelta(days=WEEKDAYS[match.group(1)])
    return day, day


@rule(rf"(?:{LAST}) ({WD})")
def _last_weekday(match, today):
    day = today - timedelta(days=(today.weekday() - WEEKDAYS[match.group(1)] - 1) % 7 + 1)
    return day, day


@rule(rf"(?:next|following|the following) ({WD})")
def _next_weekday(match, today):
    day = cal.week_span(today)[0] + timedelta(days=7 + WEEKDAYS[match.group(1)])
    return day, day


@rule(rf"(?:coming|upcoming|this coming|this upcoming) ({WD})")
def _coming_weekday(match, today):
    day = today + timedelta(days=(WEEKDAYS[match.group(1)] - today.weekday() - 1) % 7 + 1)
    return day, day


@rule(rf"({WD}) (?:of |on |in )?((?:the )?(?:(?:{RELATIVE}|{ORD}) )?week.*)"
      rf"|((?:{RELATIVE} )?week.*?)(?: on| -)? ({WD})")
def _weekday_of_week(match, today):
    week = read_span(match.group(2) or match.group(3), today)
    if week is None or (week[1] - week[0]).days != 6:
        return None
    day = week[0] + timedelta(days=WEEKDAYS[match.group(1) or match.group(4)])
    return day, day


@rule(rf"({ORD}) ({WD}|weekend) (?:(of|in) )?(.+)")
def _nth_weekday_of(match, today):
    """ "the 3rd thursday of November", "last Tue in 1997", "22nd sunday in 1996", "the second weekend of August
    2011", "the first monday in 2 months": counted within a month or a year (a weekend by its Saturday)."""
    tail = match.group(4)
    period = (match.group(3) == "in" and _offset_unit(f"in {tail}", today)) or _context(tail, today)
    if period is None or not (is_month(period) or is_year(period)):
        return None
    weekday = WEEKDAYS.get(match.group(2), 5)
    first = period[0] + timedelta(days=(weekday - period[0].weekday()) % 7)
    matching = [first + timedelta(weeks=week) for week in range((period[1] - first).days // 7 + 1)]
    index = ordinal_value(match.group(1))
    if index == 0 or index > len(matching):
        return None
    day = matching[index - 1 if index > 0 else -1]
    return (day, day + timedelta(days=1)) if match.group(2) == "weekend" else (day, day)


# ---- months and days of months (C6, C8, C9) -----------------------------------------------------------------------

@rule(rf"({MON})")
def _month(match, today):
    return Partial(month=MONTHS[match.group(1)])


@rule(rf"({RELATIVE}) ({MON})(?: {DAY})?")
def _relative_month(match, today):
    """ "this March" is this year's; "last March" the nearest March before the current month (said in December 2026:
    March 2026; said in March 2026: March 2025); "next March" the nearest one after it. A day goes with its month
    ("next August 8")."""
    month, step = MONTHS[match.group(2)], relative_step(match.group(1))
    day = int(match.group(3)) if match.group(3) else None
    if step < 0:
        return Partial(today.year if month < today.month else today.year - 1, month, day)
    if step > 0:
        return Partial(today.year if month > today.month else today.year + 1, month, day)
    return Partial(today.year, month, day)


@rule(rf"({MON}) (?:of |in )?({RELATIVE}) year")
def _month_of_relative_year(match, today):
    return Partial(year=today.year + relative_step(match.group(2)), month=MONTHS[match.group(1)])


@rule(rf"({MON})(?: of| in|{SEP}) ?(\d{{4}}|\d{{2}})|(\d{{4}}){SEP}({MON})")
def _month_year(match, today):
    if match.group(1):
        digits = match.group(2)
        if len(digits) == 2 and int(digits) <= 31:
            return None
        return Partial(year=_year(digits, today), month=MONTHS[match.group(1)])
    return Partial(year=int(match.group(3)), month=MONTHS[match.group(4)])


@rule(rf"({MON}){SEP}(?:the )?{DAY}(?:(?:{SEP}| of | in ){YEAR4}| (\d{{2}}))?"
      rf"|({MON})-{DAY}-(\d{{2}})|({MON}) (\d{{2}})(\d{{4}})")
def _month_day(match, today):
    """ "Aug 3", "Dec 11 75", "jul-8-04" (a two-digit year after dashes only: "July 17-18" is a range),
    "Mar052009" (mmm dd yyyy run together)."""
    if match.group(8):
        return Partial(int(match.group(10)), MONTHS[match.group(8)], int(match.group(9)))
    month, day, year = match.group(1, 2, 3) if match.group(1) else match.group(5, 6, 7)
    year = year or match.group(4)
    return Partial(year=_year(year, today) if year else None, month=MONTHS[month], day=int(day))


@rule(rf"{DAY}(?: day)?(?: of)?{SEP}({MON})(?:(?: of | in |{SEP}){YEAR4}|-(\d{{2}})| (\d{{2}}))?")
def _day_month(match, today):
    year = match.group(3) or match.group(4) or match.group(5)
    return Partial(year=_year(year, today) if year else None, month=MONTHS[match.group(2)],
                   day=int(match.group(1)))


@rule(rf"{YEAR4}{SEP}({MON}){SEP}{DAY}")
def _year_month_day(match, today):
    return Partial(year=int(match.group(1)), month=MONTHS[match.group(2)], day=int(match.group(3)))


@rule(rf"{ORDINAL_DAY}")
def _ordinal_day(match, today):
    return Partial(day=int(match.group(1)))


@rule(rf"{DAY}( day)?(?: of)? (.+)")
def _day_of(match, today):
    """ "15th of last month", "3 March": a day of a month; "the 1st day of 1998": a day of a year."""
    period = _context(match.group(3), today)
    if period is None:
        return None
    number = int(match.group(1))
    if not is_month(period):
        day = period[0] + timedelta(days=number - 1)
        return (day, day) if match.group(2) and is_year(period) and 1 <= number else None
    day = cal.valid_day(period[0].year, period[0].month, number)
    if day is None:
        raise DateParseError("that month has no such day: not a calendar date")
    return day, day


@rule(r"1st (?:day )?(?:to|through|thru|-) (?:the )?(?:last|final) day (?:of|in) (.+)")
def _first_to_last_day_of(match, today):
    """ "first to last day of 2008": the whole period."""
    return _context(match.group(1), today)


@rule(r"(?:last|final) day (?:of|in) (.+)")
def _last_day_of(match, today):
    """ "the last day of February 2020", "last day of the month": the period's final day."""
    period = _context(match.group(1), today)
    return (period[1], period[1]) if period else None


@rule(rf"(?:({RELATIVE}) )?({HOLIDAY})(?: (?:of |in )?{YEAR4})?")
def _holiday(match, today):
    """A fixed-date holiday: with a year that one, else by past preference; "last" / "next" the nearest one before /
    after today (so "last Christmas" said on 2026-12-26 is the day before)."""
    month, day = HOLIDAYS[match.group(2)]
    if match.group(3):
        return Partial(year=int(match.group(3)), month=month, day=day)
    step = relative_step(match.group(1)) if match.group(1) else None
    if step == 0:
        return Partial(year=today.year, month=month, day=day)
    if step is None:
        return Partial(month=month, day=day)
    this_year = date(today.year, month, day)
    if step < 0:
        year = today.year if this_year < today else today.year - 1
    else:
        year = today.year if this_year > today else today.year + 1
    return Partial(year=year, month=month, day=day)


# ---- numeric dates (C14) ------------------------------------------------------------------------------------------

@rule(r"(\d{4})(\d{2})(\d{2})")
def _dicom_date(match, today):
    return Partial(int(match.group(1)), int(match.group(2)), int(match.group(3)))


@rule(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
def _ymd(match, today):
    return Partial(int(match.group(1)), int(match.group(2)), int(match.group(3)))


@rule(r"(\d{4}) (\d{1,2}) (\d{1,2})")
def _ymd_spaced(match, today):
    return Partial(int(match.group(1)), int(match.group(2)), int(match.group(3)))


@rule(r"(\d{1,2})([-/. ])(\d{1,2})\2(\d{4}|\d{2})|(\d{1,2})[-/](\d{1,2}) (\d{4})")
def _numeric_day_month_year(match, today):
    """ "11/22/1999", "22.11.99", "3 5 2009" (space-separated, read as slashes), "7-8 2004"."""
    if match.group(1):
        first, separator, second, year = match.group(1, 2, 3, 4)
    else:
        first, second, year = match.group(5, 6, 7)
        separator = "/"
    month, day = _month_and_day(int(first), int(second), separator)
    if month is None:
        return None
    return Partial(_year(year, today), month, day)


def _month_and_day(first: int, second: int, separator: str) -> tuple[int | None, int | None]:
    """Slash, dash and space dates are US month-first unless the first field cannot be a month; dotted dates are
    day-first (the European habit) unless the second field cannot be a month (CONVENTIONS C14)."""
    if separator == ".":
        return (first, second) if second > 12 >= first else (second, first) if second <= 12 else (None, None)
    if first <= 12:
        return first, second
    return (second, first) if second <= 12 else (None, None)


@rule(r"(\d{4})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{4})")
def _numeric_month_year(match, today):
    year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
    if not 1 <= int(month) <= 12:
        return None
    return Partial(year=int(year), month=int(month))


@rule(r"(\d{1,2})([-/.])(\d{1,2})")
def _numeric_day_month(match, today):
    month, day = _month_and_day(int(match.group(1)), int(match.group(3)), match.group(2))
    if month is None or not 1 <= day <= 31:
        return None
    return Partial(month=month, day=day)


# ---- weeks (C1, C17, C18) -----------------------------------------------------------------------------------------

@rule(rf"{YEAR4}-?(?:w|week) ?(\d{{1,2}})-([1-7])")
def _iso_week_date(match, today):
    """ISO 8601 week dates: "2020-W12-3" is the Wednesday of week 12 of 2020."""
    week = cal.iso_week_span(int(match.group(1)), int(match.group(2)))
    day = week[0] + timedelta(days=int(match.group(3)) - 1) if week else None
    return (day, day) if day else None


@rule(rf"(?:iso )?(?:week|wk) (?:no |number |nr |#)?(\d{{1,2}})(?: (?:of |in )?{YEAR4})?"
      rf"|(?:iso )?(?:week )?{YEAR4}[- ]?(?:w|week) ?(\d{{1,2}})")
def _week_number(match, today):
    week = int(match.group(1) or match.group(4))
    year = match.group(2) or match.group(3)
    if year:
        return cal.iso_week_span(int(year), week)
    for iso_year in range(today.isocalendar().year, today.year - 10, -1):
        span = cal.iso_week_span(iso_year, week)
        if span is not None and span[0] <= today:
            return span
    return None


@rule(rf"({ORD}) (?:week|wk) (?:(?:of|in) )?(.+)")
def _nth_week_of(match, today):
    period = _context(match.group(2), today)
    if period is None:
        return None
    if is_month(period):
        weeks = cal.month_weeks(period[0].year, period[0].month)
    elif is_year(period):
        weeks = cal.year_weeks(period[0].year)
    else:
        return None
    index = ordinal_value(match.group(1))
    return weeks[index - 1 if index > 0 else -1] if 0 != index <= len(weeks) else None


@rule(rf"({ORD}) (?:month|mth) (?:of|in) (.+)")
def _nth_month_of(match, today):
    """ "the first month of 2015", "the last month of this quarter": a month counted within a year or a quarter."""
    period = _context(match.group(2), today)
    if period is None or not (is_year(period) or period == cal.unit_span(period[0], "quarter")):
        return None
    months = 12 if is_year(period) else 3
    index = ordinal_value(match.group(1))
    if index == 0 or index > months:
        return None
    first = cal.add_months(period[0], index - 1 if index > 0 else months - 1)
    return cal.month_span(first.year, first.month)


@rule(r"(week|wk|weekend) (?:starting from|starting on|beginning on|commencing|beginning|including|starting|of) (.+)")
def _week_of(match, today):
    """ "the week of July 4th 2022": the Mon-Sun week holding that day; "the weekend of 15th March": its weekend."""
    span = read_span(match.group(2), today)
    if span is None:
        return None
    return cal.unit_span(span[0], "weekend") if match.group(1) == "weekend" else cal.week_span(span[0])


@rule(r"(?:week|wk) (?:ending|ending on|to) (.+)")
def _week_ending(match, today):
    """ "week ending 8 March 2013": the seven days that end on that day."""
    span = read_span(match.group(1), today)
    return (span[1] - timedelta(days=6), span[1]) if span and span[0] == span[1] else None


@rule(rf"(?:for )?({DURATION}) (?:starting from|starting on|beginning on|commencing|beginning|starting|from) (.+)")
def _duration_from(match, today):
    parts = duration(match.group(1))
    span = read_span(match.group(2), today) if parts else None
    return (span[0], moved(span[0], parts, 1)) if span else None


# ---- quarters, halves, seasons, years, decades (C3, C12, C13) -----------------------------------------------------

_QUARTER = r"(?:q ?([1-4])|([1-4])(?:st|nd|rd|th) (?:quarter|qtr))"
_HALF = r"(?:h ?([12])|([12])(?:st|nd) half(?: year)?)"


def _numbered_part(whole: int, number: int, year: int) -> cal.Span:
    return cal.quarter_span(year, number) if whole == 4 else cal.half_span(year, number)


def _register_parts_of_year(whole: int, pattern: str) -> None:
    """Quarters (whole=4) or halves (whole=2): "Q3", "q3 2019", "2019-q3", "3rd quarter of last year", "H1 2020"."""

    @rule(rf"{pattern}(?:(?: of| in|{SEP}) ?(.+))?")
    def number_first(match, today):
        number, tail = int(match.group(1) or match.group(2)), match.group(3)
        if tail is None:
            span = _numbered_part(whole, number, today.year)
            return span if span[0] <= today else _numbered_part(whole, number, today.year - 1)
        if re.fullmatch(r"\d{2}|\d{4}", tail):
            return _numbered_part(whole, number, _year(tail, today))
        year = _context(tail, today)
        return _numbered_part(whole, number, year[0].year) if year and is_year(year) else None

    @rule(rf"(.+?){SEP}?{pattern}")
    def year_first(match, today):
        """ "2019-q3", "this year Q4", "next year H2"."""
        head, number = match.group(1), int(match.group(2) or match.group(3))
        year = cal.year_span(int(head)) if re.fullmatch(r"\d{4}", head) else _context(head, today)
        return _numbered_part(whole, number, year[0].year) if year and is_year(year) else None

    @rule(rf"({RELATIVE}) {pattern}")
    def relative(match, today):
        """ "this Q3" is this year's; "last Q4" the nearest one before the current one and "next Q2" the nearest one
        after it, as "last March" and "next March" are."""
        number, step = int(match.group(2) or match.group(3)), relative_step(match.group(1))
        current = (today.month - 1) * whole // 12 + 1
        year = today.year
        if step < 0 and number >= current:
            year -= 1
        if step > 0 and number <= current:
            year += 1
        return _numbered_part(whole, number, year)


_register_parts_of_year(4, _QUARTER)
_register_parts_of_year(2, _HALF)


@rule(rf"(?:({RELATIVE}) )?({SEASON})(?: (?:of |in )?{YEAR4}(?:[-/](\d{{4}}|\d{{2}}))?)?")
def _season(match, today):
    """ "summer 2012", "last fall", "the winter of 2012-2013" (a winter named by the two years it spans)."""
    name = match.group(2)
    if match.group(4) and (name != "winter" or int(match.group(4)) % 100 != (int(match.group(3)) + 1) % 100):
        return None
    if match.group(3):
        return cal.season_span(name, int(match.group(3)))
    candidates = [cal.season_span(name, year) for year in range(today.year - 2, today.year + 2)]
    step = relative_step(match.group(1)) if match.group(1) else None
    if step == -1:
        return [span for span in candidates if span[1] < today][-1]
    if step == 1:
        return [span for span in candidates if span[0] > today][0]
    if step == 0:
        return next((span for span in candidates if span[0] <= today <= span[1]),
                    cal.season_span(name, today.year))
    return [span for span in candidates if span[0] <= today][-1]


@rule(r"(?:year |yr |calendar year |cy ?)?(\d{4})|cy ?(\d{2})")
def _year_rule(match, today):
    if match.group(1):
        return cal.year_span(int(match.group(1)))
    return cal.year_span(cal.closest_century(int(match.group(2)), today))


@rule(r"(\d{3})0s|(\d)0s")
def _decade(match, today):
    if match.group(1):
        return cal.decade_span(int(match.group(1)) * 10)
    first = today.year - today.year % 100 + int(match.group(2)) * 10
    return cal.decade_span(first if first <= today.year else first - 100)


# ---- parts of a period (C11) ----------------------------------------------------------------------------------------

PART_WORDS = {"early": "early", "beginning of": "early", "start of": "early", "the beginning of": "early",
              "the start of": "early", "mid": "mid", "middle of": "mid", "the middle of": "mid", "late": "late",
              "end of": "late", "the end of": "late"}
_PART_WORD = "(" + "|".join(sorted(PART_WORDS, key=len, reverse=True)) + ")"
SHORT_PARTS = {"bom": ("early", "month"), "eom": ("late", "month"), "boy": ("early", "year"),
               "eoy": ("late", "year"), "bow": ("early", "week"), "eow": ("late", "week"), "boq": ("early", "quarter"),
               "eoq": ("late", "quarter")}


@rule(rf"{_PART_WORD} (.+)|(bom|eom|boy|eoy|bow|eow|boq|eoq)")
def _part_of_period(match, today):
    if match.group(3):
        part, unit = SHORT_PARTS[match.group(3)]
        return part_of(cal.unit_span(today, unit), part)
    period = _context(match.group(2), today)
    return part_of(period, PART_WORDS[match.group(1)]) if period else None


@rule(rf"(1st|first|last|final) ({COUNT}) ({UNIT}) (?:of|in) (.+)")
def _first_or_last_units_of(match, today):
    """ "the first 3 months of 2012", "the last 10 days of January": the period's first or last N units."""
    unit, period = UNIT_WORDS.get(match.group(3)), _context(match.group(4), today)
    if unit in (None, "hour") or period is None:
        return None
    count = count_value(match.group(2))
    if match.group(1) in ("1st", "first"):
        end = cal.shift(period[0], unit, count) - timedelta(days=1)
        return (period[0], end) if end <= period[1] else None
    start = cal.shift(period[1] + timedelta(days=1), unit, -count)
    return (start, period[1]) if start >= period[0] else None


def part_of(period: cal.Span, part: str) -> cal.Span | None:
    """Early / mid / late part of a week, month, quarter, year or decade (CONVENTIONS C11)."""
    start, end = period
    length = (end - start).days + 1
    index = ("early", "mid", "late").index(part)
    if length == 1:  # "end of yesterday": a day's parts are that day
        return period
    if length == 7:
        first, last = ((0, 2), (1, 3), (4, 6))[index]
        return start + timedelta(days=first), start + timedelta(days=last)
    if is_month(period):
        first, last = ((1, 10), (11, 20), (21, end.day))[index]
        return start.replace(day=first), start.replace(day=last)
    if is_year(period):
        first, last = ((1, 4), (5, 8), (9, 12))[index]
        return date(start.year, first, 1), cal.month_end(start.year, last)
    if start.day == 1 and end == cal.month_end(end.year, end.month) and length in range(89, 93):
        month = cal.add_months(start, index)
        return cal.month_span(month.year, month.month)
    if start.month == 1 and start.day == 1 and end.year - start.year == 9:
        first, last = ((0, 3), (4, 6), (7, 9))[index]
        return date(start.year + first, 1, 1), date(start.year + last, 12, 31)
    return None


# ---- a weekday given with a date: "Sunday 7/7/2019", "tue may 9", "friday the 13th" --------------------------------

@rule(rf"({WD}) (?:the )?(.+)")
def _weekday_and_date(match, today):
    found = read(match.group(2), today, bare=True)
    if isinstance(found, Partial):
        if found.day is None:
            return None
        return found if found.year is not None else Partial(month=found.month, day=found.day,
                                                            weekday=WEEKDAYS[match.group(1)])
    return found if found is not None and found[0] == found[1] else None


__all__ = ["RULES", "duration", "moved", "read", "read_span"]


# ---- a year named apart from its month or day: "January 30th of last year", "2010 Christmas", "2004 10 Apr" -------

def _with_year(found: Reading | None, year: cal.Span | None) -> Partial | None:
    if not isinstance(found, Partial) or found.year is not None or found.month is None:
        return None
    return found._replace(year=year[0].year) if year and is_year(year) else None


@rule(rf"(.+?) (?:of|in) (.+)|(.+) ((?:{RELATIVE}) year|year before last|year after next)")
def _year_after(match, today):
    """ "January 30th of last year", "christmas eve last year"."""
    head, tail = match.group(1, 2) if match.group(1) else match.group(3, 4)
    return _with_year(read(head, today), _context(tail, today))


@rule(rf"((?:{RELATIVE}) (?:week|month|quarter|year))s (.+)")
def _possessive(match, today):
    """ "last year's christmas", "last month's 15th" (the apostrophe is gone by now): read as "christmas of last
    year", "15th of last month"."""
    return read(f"{match.group(2)} of {match.group(1)}", today)


@rule(rf"{YEAR4} (.+)")
def _year_before(match, today):
    return _with_year(read(match.group(2), today), cal.year_span(int(match.group(1))))


from . import relatives  # noqa: E402,F401  (registers the compound relatives, tried after the rules above)
