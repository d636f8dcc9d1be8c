"""The grammar of one date expression: a phrase that names a day, or a whole unit of days, on its own.

Each rule is a regex over the normalized phrase (see text) and a function that turns the match into either a
span (two inclusive dates) or a Partial (fields still to be placed in time, such as "March" or "the 15th"). Ranges and
open bounds ("from A to B", "since X") are built from these in bounds. Rules are tried in order; the first that
matches and reads wins. A rule returns None when its pattern matched but the values do not make a date in that sense,
so the next rule may try.
"""

import re
from datetime import date, timedelta

from . import calendar as cal
from .errors import DateParseError
from .partial import Partial, resolve
from .regex import LazyPattern
from .words import (
    COUNT, DAY, DURATION, HOLIDAY, HOLIDAYS, LAST, MON, MONTHS, NEXT, ORD, ORDINAL_DAY, ORDINAL_WORDS, RELATIVE,
    SEASON, SEP, UNIT, UNIT_WORDS, WD, WEEKDAYS, YEAR4, count_value, relative_step,
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


def read(text: str, today: date, bare: bool = False) -> Reading | None:
    """What one expression means, or None when no rule reads it. `bare` also reads lone numbers (range sides)."""
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


def _context(text: str, today: date) -> cal.Span | None:
    return _this_unit(text, today) or read_span(text, today)


# ---- days named relative to today ---------------------------------------------------------------------------------

NAMED_DAYS = {"today": 0, "now": 0, "present": 0, "yesterday": -1, "tomorrow": 1, "tmrw": 1, "tmr": 1,
              "day before yesterday": -2, "day after tomorrow": 2}


@rule(r"today|now|present|yesterday|tomorrow|tmrw|tmr|day before yesterday|day after tomorrow")
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


@rule(rf"in ({DURATION})|({DURATION}) (?:from now|from today|later|hence|after today)")
def _from_now(match, today):
    parts = duration(match.group(1) or match.group(2))
    if not parts:
        return None
    day = moved(today, parts, 1)
    return day, day


# ---- rolling windows (C4) -------------------------------------------------------------------------------------------

@rule(rf"(?:{LAST}|within the last|within the past|within the|within|in the last|in the past|over the last"
      rf"|over the past|the recent|recent) ({DURATION})|({COUNT}) (?:past|previous|last) ({UNIT})")
def _rolling_past(match, today):
    parts = duration(match.group(1) or f"{match.group(2)} {match.group(3)}")
    return (moved(today, parts, -1), today) if parts else None


@rule(r"(?:in|within|over|during|for) the (?:last|past) (day|week|fortnight|month|quarter|year|decade)")
def _rolling_one_unit(match, today):
    """ "in the past year", "within the last month": the preposition makes a span up to today, so a rolling window
    of one unit, while "last year" alone is the previous calendar year (C3)."""
    return cal.shift(today, match.group(1), -1), today


@rule(rf"{NEXT} ({DURATION})|({DURATION}) (?:next|to come|ahead)")
def _rolling_next(match, today):
    parts = duration(match.group(1) or match.group(2))
    return (today + timedelta(days=1), moved(today, parts, 1)) if parts else None


# ---- whole calendar units relative to today (C1-C3) ---------------------------------------------------------------

CALENDAR_UNITS = {"day": "day", "week": "week", "weekend": "weekend", "fortnight": "fortnight", "month": "month",
                  "quarter": "quarter", "qtr": "quarter", "half": "half", "half year": "half", "year": "year",
                  "calendar year": "year", "calendar month": "month", "decade": "decade"}
_CALENDAR_UNIT = "(" + "|".join(sorted(CALENDAR_UNITS, key=len, reverse=True)) + ")"


@rule(rf"({RELATIVE}) {_CALENDAR_UNIT}")
def _relative_unit(match, today):
    return cal.step_unit(today, CALENDAR_UNITS[match.group(2)], relative_step(match.group(1)))


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


@rule(r"later (?:this|in the) (week|month|year)")
def _rest_of(match, today):
    return today, cal.unit_span(today, match.group(1))[1]


# ---- weekdays (C6, C7) --------------------------------------------------------------------------------------------

@rule(rf"({WD})")
def _weekday(match, today):
    return Partial(weekday=WEEKDAYS[match.group(1)])


@rule(rf"this ({WD})")
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


@rule(rf"({WD}) (?:of |on |in )?((?:the )?(?:{RELATIVE} )?week.*)|((?:{RELATIVE} )?week.*?)(?: on| -)? ({WD})")
def _weekday_of_week(match, today):
    week = read_span(match.group(2) or match.group(3), today)
    if week is None or (week[1] - week[0]).days != 6:
        return None
    day = week[0] + timedelta(days=WEEKDAYS[match.group(1) or match.group(4)])
    return day, day


@rule(rf"({ORD}) ({WD}) (?:of|in) (.+)")
def _nth_weekday_of(match, today):
    month = _context(match.group(3), today)
    if month is None or not is_month(month):
        return None
    weekday = WEEKDAYS[match.group(2)]
    days = [month[0] + timedelta(days=offset) for offset in range((month[1] - month[0]).days + 1)]
    matching = [day for day in days if day.weekday() == weekday]
    index = ORDINAL_WORDS[match.group(1)]
    if index > len(matching):
        return None
    day = matching[index - 1 if index > 0 else -1]
    return day, day


# ---- months and days of months (C6, C8, C9) -----------------------------------------------------------------------

@rule(rf"({MON})")
def _month(match, today):
    return Partial(month=MONTHS[match.group(1)])


@rule(rf"({RELATIVE}) ({MON})")
def _relative_month(match, today):
    """ "this March" is this year's; "last March" the nearest March before the current month (said in December 2026:
    March 2026; said in March 2026: March 2025); "next March" the nearest one after it."""
    month, step = MONTHS[match.group(2)], relative_step(match.group(1))
    if step < 0:
        return Partial(year=today.year if month < today.month else today.year - 1, month=month)
    if step > 0:
        return Partial(year=today.year if month > today.month else today.year + 1, month=month)
    return Partial(year=today.year, month=month)


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


@rule(rf"({MON}){SEP}{DAY}(?:(?:{SEP}| of | in ){YEAR4}| (\d{{2}}))?")
def _month_day(match, today):
    year = match.group(3) or match.group(4)
    return Partial(year=_year(year, today) if year else None, month=MONTHS[match.group(1)],
                   day=int(match.group(2)))


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


@rule(rf"{DAY}(?: day)?(?: of)? (.+)")
def _day_of(match, today):
    month = _context(match.group(2), today)
    if month is None or not is_month(month):
        return None
    day = cal.valid_day(month[0].year, month[0].month, int(match.group(1)))
    if day is None:
        raise DateParseError("that month has no such day: not a calendar date")
    return day, day


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


@rule(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})|(\d{1,2})/(\d{1,2}) (\d{4})")
def _numeric_day_month_year(match, today):
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
    """Slash and dash dates are US month-first unless the first field cannot be a month; dotted dates are day-first
    (the European habit) unless the second field cannot be a month (CONVENTIONS C14)."""
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

@rule(rf"(?:iso )?(?:week|wk) (?:no |number |nr |#)?(\d{{1,2}})(?: (?:of |in )?{YEAR4})?|{YEAR4}-?w ?(\d{{1,2}})")
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


@rule(rf"({ORD}) (?:week|wk) (?:of|in) (.+)")
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
    index = ORDINAL_WORDS[match.group(1)]
    return weeks[index - 1 if index > 0 else -1] if index <= len(weeks) else None


@rule(r"(?:week|wk) (?:starting from|starting on|beginning on|commencing|beginning|including|starting|of) (.+)")
def _week_of(match, today):
    span = read_span(match.group(1), today)
    return cal.week_span(span[0]) if span else None


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

    @rule(rf"{YEAR4}{SEP}?{pattern}")
    def year_first(match, today):
        return _numbered_part(whole, int(match.group(2) or match.group(3)), int(match.group(1)))


_register_parts_of_year(4, _QUARTER)
_register_parts_of_year(2, _HALF)


@rule(rf"(?:({RELATIVE}) )?({SEASON})(?: (?:of |in )?{YEAR4})?")
def _season(match, today):
    name = match.group(2)
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


@rule(r"(?:year |calendar year |cy ?)?(\d{4})|cy ?(\d{2})")
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
               "eoy": ("late", "year"), "bow": ("early", "week"), "eow": ("late", "week")}


@rule(rf"{_PART_WORD} (.+)|(bom|eom|boy|eoy|bow|eow)")
def _part_of_period(match, today):
    if match.group(3):
        part, unit = SHORT_PARTS[match.group(3)]
        return part_of(cal.unit_span(today, unit), part)
    period = _context(match.group(2), today)
    return part_of(period, PART_WORDS[match.group(1)]) if period else None


def part_of(period: cal.Span, part: str) -> cal.Span | None:
    """Early / mid / late part of a week, month, quarter, year or decade (CONVENTIONS C11)."""
    start, end = period
    length = (end - start).days + 1
    index = ("early", "mid", "late").index(part)
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
