"""Calendar arithmetic the date rules share: unit steps, whole units, ISO weeks, quarters, halves, seasons, decades.

Every rule of the date grammar speaks in whole calendar units (a month, an ISO week, a quarter), so month ends, leap
days and ISO week numbering are got right here once, and the rules stay short. A span is a pair of `date`s, both
inclusive.
"""

from datetime import date, timedelta

Span = tuple[date, date]

UNIT_WORDS = {
    "day": "day", "days": "day", "d": "day", "dy": "day", "dys": "day",
    "week": "week", "weeks": "week", "wk": "week", "wks": "week", "w": "week",
    "fortnight": "fortnight", "fortnights": "fortnight",
    "month": "month", "months": "month", "mon": "month", "mo": "month", "mos": "month", "mth": "month",
    "mths": "month", "mnth": "month", "mnths": "month",
    "quarter": "quarter", "quarters": "quarter", "qtr": "quarter", "qtrs": "quarter",
    "year": "year", "years": "year", "yr": "year", "yrs": "year", "y": "year",
    "decade": "decade", "decades": "decade",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
}

# Northern-hemisphere astronomical seasons, as Duckling's rule (CONVENTIONS C12): (start month, day, end month, day).
SEASONS = {
    "spring": (3, 20, 6, 21),
    "summer": (6, 21, 9, 23),
    "fall": (9, 23, 12, 21),
    "autumn": (9, 23, 12, 21),
    "winter": (12, 21, 3, 20),
}


def days_in_month(year: int, month: int) -> int:
    """Days in a month, without the stdlib calendar module (whose import, with locale, slows the first date)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def month_end(year: int, month: int) -> date:
    return date(year, month, days_in_month(year, month))


def month_span(year: int, month: int) -> Span:
    return date(year, month, 1), month_end(year, month)


def year_span(year: int) -> Span:
    return date(year, 1, 1), date(year, 12, 31)


def quarter_span(year: int, quarter: int) -> Span:
    return date(year, 3 * quarter - 2, 1), month_end(year, 3 * quarter)


def half_span(year: int, half: int) -> Span:
    return date(year, 6 * half - 5, 1), month_end(year, 6 * half)


def decade_span(first_year: int) -> Span:
    return date(first_year, 1, 1), date(first_year + 9, 12, 31)


def week_span(day: date) -> Span:
    """The Monday-to-Sunday week holding `day` (CONVENTIONS C1)."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def iso_week_span(year: int, week: int) -> Span | None:
    """ISO week `week` of ISO year `year`, or None when that year has no such week."""
    if not 1 <= week <= date(year, 12, 28).isocalendar().week:
        return None
    monday = date.fromisocalendar(year, week, 1)
    return monday, monday + timedelta(days=6)


def month_weeks(year: int, month: int) -> list[Span]:
    """The Mon-Sun weeks of a month, each owned by the month holding its Thursday (CONVENTIONS C17)."""
    first_thursday = date(year, month, 1) + timedelta(days=(3 - date(year, month, 1).weekday()) % 7)
    weeks = []
    thursday = first_thursday
    while thursday.month == month:
        weeks.append((thursday - timedelta(days=3), thursday + timedelta(days=3)))
        thursday += timedelta(days=7)
    return weeks


def year_weeks(year: int) -> list[Span]:
    """The ISO weeks of an ISO year, in order."""
    count = date(year, 12, 28).isocalendar().week
    return [iso_week_span(year, week) for week in range(1, count + 1)]


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic; a day past the target month's end becomes its last day (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, days_in_month(year, month + 1)))


def shift(day: date, unit: str, count: int) -> date:
    """`day` moved by `count` units (negative = back), calendar-aware for months and longer. Hours round outward
    to whole days ("last 36 hours" covers 2 days back), since only calendar days are searched."""
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "fortnight":
        return day + timedelta(weeks=2 * count)
    if unit == "hour":
        days = -(-abs(count) // 24)
        return day + timedelta(days=days if count > 0 else -days)
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120}[unit]
    return add_months(day, months * count)


def unit_span(day: date, unit: str) -> Span:
    """The whole calendar unit (day, week, weekend, month, quarter, half, year, decade) holding `day`."""
    if unit == "day":
        return day, day
    if unit == "week":
        return week_span(day)
    if unit == "weekend":
        monday = week_span(day)[0]
        return monday + timedelta(days=5), monday + timedelta(days=6)
    if unit == "fortnight":
        monday = week_span(day)[0]
        return monday, monday + timedelta(days=13)
    if unit == "month":
        return month_span(day.year, day.month)
    if unit == "quarter":
        return quarter_span(day.year, (day.month + 2) // 3)
    if unit == "half":
        return half_span(day.year, (day.month + 5) // 6)
    if unit == "year":
        return year_span(day.year)
    if unit == "decade":
        return decade_span(day.year - day.year % 10)
    raise ValueError(unit)


def step_unit(day: date, unit: str, count: int) -> Span:
    """The whole unit `count` units after (or before) the one holding `day`: last month, next week, last decade."""
    step = {"weekend": ("week", 1), "half": ("month", 6)}.get(unit, (unit, 1))
    return unit_span(shift(unit_span(day, unit)[0], step[0], step[1] * count), unit)


def season_span(name: str, year: int) -> Span:
    """The season `name` that starts in `year` (winter 2012 = 2012-12-21 .. 2013-03-20)."""
    start_month, start_day, end_month, end_day = SEASONS[name]
    end_year = year + 1 if end_month < start_month else year
    return date(year, start_month, start_day), date(end_year, end_month, end_day)


def closest_century(two_digits: int, today: date) -> int:
    """A two-digit year as the year nearest to today (CONVENTIONS C14); a tie goes to the past."""
    base = today.year - today.year % 100 + two_digits
    return min((base - 100, base, base + 100), key=lambda year: (abs(year - today.year), year > today.year))


def valid_day(year: int, month: int, day: int) -> date | None:
    if 1 <= month <= 12 and 1 <= day <= days_in_month(year, month) and 1 <= year <= 9999:
        return date(year, month, day)
    return None
