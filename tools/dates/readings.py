"""Loose date arguments turned into ONE SearchFilter's operator and values, with a plain-words line saying what was
searched.

The study date is a DICOM date and time, so a range of days becomes `DICOMStudyDateAndTime BETWEEN {start, 000000}
and {end, 235959.999999}`: an upper bound without a time would mean 00:00:00 and drop the rest of the last day.
createdAt / updatedAt are UTC instants, so a range of days becomes the configured time zone's local midnights,
converted to UTC by zoneinfo (so a day on which clocks change is 23 or 25 hours long), the upper bound being the last
millisecond of the last day, the service's precision. "Today" is the configured zone's today, not the machine's.

Open sides get documented bounds, because BETWEEN takes exactly two values:
- study date: OPEN_STUDY_START (1900-01-01 00:00:00) and OPEN_STUDY_END (9999-12-31 23:59:59.999999);
- instants: OPEN_INSTANT_START (1970-01-01T00:00:00Z, before any HealthImaging data) and OPEN_INSTANT_END
  (9999-12-31T23:59:59.999Z).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from imageset_search.datastores.instants import aware

from .errors import DateParseError
from .phrases import parse_date_range
from .values import NormalizeError, dicom_date, dicom_time

OPEN_STUDY_START = ("19000101", "000000")
OPEN_STUDY_END = ("99991231", "235959.999999")
FIRST_STUDY_DAY = date(1900, 1, 1)
OPEN_INSTANT_START = datetime(1970, 1, 1, tzinfo=timezone.utc)
OPEN_INSTANT_END = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
LAST_MILLISECOND = timedelta(milliseconds=1)
INSTANT_ATTRIBUTES = {"createdAt": "created", "updatedAt": "updated"}
_EXACT_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[tT ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[zZ]|[+-]\d{2}:?\d{2})")
_STUDY_KEYS = {"DICOMStudyDate", "DICOMStudyTime"}
_SIDE_KEYS = {"from", "to"}


@dataclass(frozen=True)
class Reading:
    """One SearchFilter's `operator` and `values` (AWS union values, exactly as boto3 takes them), and `said`, the
    plain-words line the tool returns so the model can tell the user what was searched."""

    operator: str
    values: list[dict]
    said: str


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in `tz` (a naive `now` is taken as UTC): in Tokyo it is already tomorrow while London sleeps."""
    return aware(now or datetime.now(timezone.utc)).astimezone(tz).date()


# ---- study date ---------------------------------------------------------------------------------------------------

def read_study_date(value, *, today: date, tz_name: str) -> Reading:
    """A study-date argument as a DICOMStudyDateAndTime filter.

    `value` is a phrase ("last March", "20230101-20230315", "1997.04.24"), {"from": phrase|None, "to": phrase|None}
    (the start of the from-phrase's range to the end of the to-phrase's), or AWS's own {"DICOMStudyDate": ...,
    "DICOMStudyTime": ...?} in loose formats (then EQUAL on that exact value).
    """
    context = f"today {today.isoformat()} in {tz_name}"
    if isinstance(value, dict) and value.keys() & _STUDY_KEYS:
        return _exact_study_date(value)
    start, end, source = _day_bounds(value, today, "study_date")
    if start is not None and end is not None and end < start:
        raise DateParseError("the study date range ends before it starts; put the earlier date first")
    if (end or start or FIRST_STUDY_DAY) < FIRST_STUDY_DAY:
        raise DateParseError("study dates before 1900 are not searched; send a date from 1900 on")
    lower = (f"{start:%Y%m%d}", "000000") if start else OPEN_STUDY_START
    upper = (f"{end:%Y%m%d}", "235959.999999") if end else OPEN_STUDY_END
    values = [{"DICOMStudyDateAndTime": {"DICOMStudyDate": day, "DICOMStudyTime": clock}}
              for day, clock in (lower, upper)]
    return Reading("BETWEEN", values, f"study date {_days_said(start, end)} ({source}, {context})")


def _exact_study_date(value: dict) -> Reading:
    unknown = value.keys() - _STUDY_KEYS
    if unknown or "DICOMStudyDate" not in value:
        raise NormalizeError("study_date", "as an exact value takes DICOMStudyDate (required) and DICOMStudyTime "
                                           "(optional), nothing else")
    exact = {"DICOMStudyDate": dicom_date(value["DICOMStudyDate"], "DICOMStudyDate")}
    said = f"study date exactly {exact['DICOMStudyDate']}"
    if value.get("DICOMStudyTime") is not None:
        exact["DICOMStudyTime"] = dicom_time(value["DICOMStudyTime"], "DICOMStudyTime")
        said += f" at {exact['DICOMStudyTime']}"
    return Reading("EQUAL", [{"DICOMStudyDateAndTime": exact}], said)


def _day_bounds(value, today: date, field: str) -> tuple[date | None, date | None, str]:
    """The first and last day a phrase or a {"from", "to"} pair means, and where they came from in words."""
    value = _as_phrase(value)
    if isinstance(value, str):
        start, end = parse_date_range(value, today)
        return start, end, f"from {_quoted(value)}"
    sides = {key: _as_phrase(side) for key, side in _sides(value, field).items()}
    start = parse_date_range(sides["from"], today)[0] if sides.get("from") is not None else None
    end = parse_date_range(sides["to"], today)[1] if sides.get("to") is not None else None
    return start, end, _sides_said(sides)


def _as_phrase(value):
    """A whole number (a year, a yyyyMMdd) or a date object read as the phrase it spells; anything else unchanged."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _sides(value, field: str) -> dict:
    if not isinstance(value, dict) or not value.keys() <= _SIDE_KEYS or all(value.get(k) is None for k in _SIDE_KEYS):
        raise NormalizeError(field, 'must be a date phrase (e.g. "last March") or {"from": ..., "to": ...} with at '
                                    "least one side")
    return value


def _sides_said(sides: dict) -> str:
    """ 'from "2019", to "March 2021"': the sides that were given, as given."""
    return ", ".join(f"{key} {_quoted(sides[key])}" for key in ("from", "to") if sides.get(key) is not None)


def _quoted(phrase) -> str:
    text = phrase if isinstance(phrase, str) else repr(phrase)
    return '"' + " ".join(text.split())[:80] + '"'


def _days_said(start: date | None, end: date | None) -> str:
    if start and end:
        return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
    if start:
        return f"from {start.isoformat()} on"
    return f"up to {end.isoformat()}" if end else "any"


# ---- created / updated instants ------------------------------------------------------------------------------------

def read_instant_range(value, *, attribute: str, now: datetime, tz: ZoneInfo) -> Reading:
    """A createdAt/updatedAt argument as a filter of tz-aware UTC datetimes.

    A phrase reads as whole local days of `tz` (BETWEEN their first and last millisecond); an exact timestamp (ISO 8601
    with an offset or Z, or epoch seconds) is the same instant, unchanged, as EQUAL; {"from": x, "to": y} reads each
    side the same way (a phrase's from-side is the start of its first day, its to-side the end of its last day).
    """
    if attribute not in INSTANT_ATTRIBUTES:
        raise NormalizeError("attribute", f"must be one of {', '.join(INSTANT_ATTRIBUTES)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = today_in(tz, now)
    label = INSTANT_ATTRIBUTES[attribute]
    if isinstance(value, dict):
        sides = _sides(value, attribute)
        lower = _instant_side(sides.get("from"), 0, today, tz, attribute)
        upper = _instant_side(sides.get("to"), 1, today, tz, attribute)
        return _between(attribute, label, lower, upper, tz, _sides_said(sides))
    exact = _exact_instant(value, tz, attribute)
    if exact is not None:
        return Reading("EQUAL", [{attribute: exact}], f"{label} exactly {_utc(exact)} (from {_quoted(value)})")
    if not isinstance(value, str):
        raise NormalizeError(attribute, "must be a date phrase, an ISO 8601 timestamp with an offset or Z, epoch "
                                        'seconds, or {"from": ..., "to": ...}')
    start, end = parse_date_range(value, today)
    lower = _day_start(start, tz) if start else None
    upper = _day_end(end, tz) if end else None
    return _between(attribute, label, lower, upper, tz, f"from {_quoted(value)}")


def _instant_side(side, end_side: int, today: date, tz: ZoneInfo, attribute: str) -> datetime | None:
    if side is None:
        return None
    exact = _exact_instant(side, tz, attribute)
    if exact is not None:
        return exact
    if not isinstance(side, str):
        raise NormalizeError(attribute, "each side must be a date phrase, an ISO 8601 timestamp or epoch seconds")
    day = parse_date_range(side, today)[end_side]
    if day is None:
        return None
    return _day_end(day, tz) if end_side else _day_start(day, tz)


def _between(attribute, label, lower, upper, tz, source) -> Reading:
    if lower is not None and upper is not None and upper < lower:
        raise DateParseError(f"the {label} range ends before it starts; put the earlier time first")
    if upper is not None and upper < OPEN_INSTANT_START:
        raise DateParseError(f"{label} times start in 1970; send a range that ends after 1970-01-01")
    low, high = lower or OPEN_INSTANT_START, upper or OPEN_INSTANT_END
    zone = getattr(tz, "key", None) or str(tz)
    if lower and upper:
        local = f"{_local(lower, tz)} to {_local(upper, tz)} {zone}"
    else:
        local = f"from {_local(lower, tz)} {zone} on" if lower else f"up to {_local(upper, tz)} {zone}"
    said = f"{label} {local} ({_utc(low)} to {_utc(high)}; {source})"
    return Reading("BETWEEN", [{attribute: low}, {attribute: high}], said)


def _exact_instant(value, tz: ZoneInfo, attribute: str) -> datetime | None:
    """An exact instant: epoch seconds, or ISO 8601 with an offset or Z; None for anything else (a phrase)."""
    if isinstance(value, bool):
        raise NormalizeError(attribute, "must be a date phrase or a timestamp, not true/false")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise NormalizeError(attribute, "epoch seconds out of range (years 1970-9999)") from None
    if isinstance(value, datetime):
        return aware(value).astimezone(timezone.utc)
    if isinstance(value, str) and _EXACT_INSTANT.fullmatch(value.strip()):
        try:
            return datetime.fromisoformat(value.strip()).astimezone(timezone.utc)
        except ValueError:
            raise NormalizeError(attribute, "is not a valid ISO 8601 timestamp (e.g. 2026-11-30T23:00:00Z)") from None
    return None


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, in UTC; a midnight skipped by a clock change maps to the day's first hour."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _day_end(day: date, tz: ZoneInfo) -> datetime:
    """The last millisecond of `day` in `tz`, in UTC: the next day's first instant less one millisecond."""
    if day == date.max:
        return OPEN_INSTANT_END
    return _day_start(day + timedelta(days=1), tz) - LAST_MILLISECOND


def _utc(instant: datetime) -> str:
    text = instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    millis = instant.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def _local(instant: datetime, tz: ZoneInfo) -> str:
    try:
        local = instant.astimezone(tz)
    except OverflowError:  # the open upper bound, east of UTC, lies past year 9999
        local = instant
    text = local.strftime("%Y-%m-%d %H:%M")
    if local.second or local.microsecond:
        text += local.strftime(":%S") + (f".{local.microsecond // 1000:03d}" if local.microsecond else "")
    return text
