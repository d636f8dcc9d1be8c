"""From validated arguments (either shape) to exact criteria: one `Criterion` per filter, each with its plain words.

AWS's searchCriteria may carry loose values here ("DICOMStudyDateAndTime": "last March"); the flat fields always
may. The normalizer (the `tools.dates` package: its `readings` and `values`) makes them exact; this module applies it
filter by filter and keeps what was read, so the planner can decide where each filter runs and the result can say
what was searched.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from imageset_search.datastores.criteria import RANGE_ATTRIBUTES
from imageset_search.datastores.instants import aware
from imageset_search.tools.dates import DateParseError, readings, values
from imageset_search.tools.errors import SearchError, describe_validation_error
from imageset_search.tools.models import DateRange, SearchArgs, SearchCriteria, SearchFilter, StudyDateAndTime

FLAT_ID_ATTRIBUTES = {
    "patient_id": "DICOMPatientId",
    "accession_number": "DICOMAccessionNumber",
    "study_id": "DICOMStudyId",
    "study_instance_uid": "DICOMStudyInstanceUID",
    "series_instance_uid": "DICOMSeriesInstanceUID",
}
UID_ATTRIBUTES = {"DICOMStudyInstanceUID", "DICOMSeriesInstanceUID"}
INSTANT_ATTRIBUTES = {"createdAt", "updatedAt"}
WORDS = {
    "DICOMPatientId": "patient ID",
    "DICOMAccessionNumber": "accession number",
    "DICOMStudyId": "study ID",
    "DICOMStudyInstanceUID": "study instance UID",
    "DICOMSeriesInstanceUID": "series instance UID",
    "DICOMStudyDateAndTime": "study date",
    "createdAt": "created",
    "updatedAt": "updated",
    "isPrimary": "primary",
}


@dataclass(frozen=True)
class Criterion:
    """One exact AWS SearchFilter on one attribute, and how loose input was read into it (none for exact input)."""

    attribute: str
    filter: dict[str, Any]
    read: tuple[str, ...] = ()

    @property
    def said(self) -> str:
        """What the filter searches, in plain words."""
        return describe(self.attribute, self.filter)


@dataclass(frozen=True)
class Clock:
    """What "today" and "now" are for this request, in the configured time zone."""

    tz: ZoneInfo
    now: datetime  # tz-aware

    @property
    def today(self) -> date:
        return readings.today_in(self.tz, self.now)

    @classmethod
    def at(cls, tz: ZoneInfo, now: datetime | None = None) -> "Clock":
        return cls(tz, now or datetime.now(timezone.utc))


def _fail(exc: ValueError, field: str | None = None) -> SearchError:
    """The normalizer's message, led by the argument it is about when the message does not name it already."""
    text = str(exc)
    return SearchError(text if field is None or text.startswith(field) else f"{field}: {text}")


def _exact_id(attribute: str, value: str, field: str) -> Criterion:
    cleaned = values.clean_uid(value, field) if attribute in UID_ATTRIBUTES else values.clean_id(value, field)
    return _described(attribute, [{attribute: cleaned}], "EQUAL")


def _described(attribute: str, found: list[dict[str, Any]], operator: str) -> Criterion:
    return Criterion(attribute, {"values": found, "operator": operator})


def as_instant(value: Any) -> datetime:
    """An instant the normalizer let through (datetime, epoch seconds or ISO text) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = aware(value)
    elif isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = aware(moment)
    return moment.astimezone(timezone.utc)


def _reading_criterion(attribute: str, reading: readings.Reading, loose: bool) -> Criterion:
    found = list(reading.values)
    if attribute in INSTANT_ATTRIBUTES:
        found = [{attribute: as_instant(value[attribute])} for value in found]
    return Criterion(attribute, {"values": found, "operator": reading.operator}, (reading.said,) if loose else ())


def _shown(attribute: str, value: Any) -> str:
    if attribute in INSTANT_ATTRIBUTES:
        return as_instant(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if attribute == "DICOMStudyDateAndTime":
        day, clock = value["DICOMStudyDate"], value.get("DICOMStudyTime", "000000")
        return f"{day[:4]}-{day[4:6]}-{day[6:]} {clock[:2]}:{clock[2:4]}:{clock[4:]}"
    return str(value).lower()


def describe(attribute: str, search_filter: dict[str, Any]) -> str:
    """Plain words for an exact filter: what the datastore (or this server) compares."""
    if attribute in FLAT_ID_ATTRIBUTES.values():
        return f"{WORDS[attribute]} is the one given (exact, case-sensitive)"
    shown = [_shown(attribute, value[attribute]) for value in search_filter["values"]]
    return f"{WORDS[attribute]} " + (" to ".join(shown) if search_filter["operator"] == "BETWEEN" else shown[0])


def _range_value(value: Any) -> Any:
    """A {from, to} model as the plain dict the normalizer reads."""
    return {"from": value.from_, "to": value.to} if isinstance(value, DateRange) else value


def read_study_date(value: Any, clock: Clock, field: str = "study_date") -> Criterion:
    try:
        reading = readings.read_study_date(_range_value(value), today=clock.today, tz_name=clock.tz.key)
    except (DateParseError, values.NormalizeError) as exc:
        raise _fail(exc, field) from None
    return _reading_criterion("DICOMStudyDateAndTime", reading, loose=True)


def read_instants(attribute: str, value: Any, clock: Clock, field: str) -> Criterion:
    try:
        reading = readings.read_instant_range(_range_value(value), attribute=attribute, now=clock.now, tz=clock.tz)
    except (DateParseError, values.NormalizeError) as exc:
        raise _fail(exc, field) from None
    return _reading_criterion(attribute, reading, loose=_is_phrase(attribute, value) or isinstance(value, DateRange))


# --- the flat shape ------------------------------------------------------------------------------------------------


def from_flat(args: SearchArgs, clock: Clock) -> list[Criterion]:
    """The searchable flat fields as criteria, in argument order (refinements are `tools.refine`'s)."""
    found: list[Criterion] = []
    for field, attribute in FLAT_ID_ATTRIBUTES.items():
        if (value := getattr(args, field)) is not None:
            found.append(_guard(lambda: _exact_id(attribute, value, field)))
    if args.study_date is not None:
        found.append(read_study_date(args.study_date, clock))
    for field, attribute in (("updated", "updatedAt"), ("created", "createdAt")):
        if (value := getattr(args, field)) is not None:
            found.append(read_instants(attribute, value, clock, field))
    if args.is_primary is not None:
        found.append(_described("isPrimary", [{"isPrimary": args.is_primary}], "EQUAL"))
    return found


def _guard(build):
    try:
        return build()
    except values.NormalizeError as exc:
        raise _fail(exc) from None


# --- AWS's own shape -----------------------------------------------------------------------------------------------


def _attribute_of(search_filter: SearchFilter, index: int) -> str:
    keys = {next(iter(type(value).model_fields)) for value in search_filter.values}
    if len(keys) > 1:
        raise SearchError(
            f"search_criteria.filters.{index}: the values of one filter must name the same attribute "
            f"(got {', '.join(sorted(keys))}); use one filter per attribute"
        )
    return keys.pop()


def _raw_values(search_filter: SearchFilter, attribute: str) -> list[Any]:
    return [getattr(value, attribute) for value in search_filter.values]


def _study_date_filter(raws: list[Any], operator: str, clock: Clock, where: str) -> Criterion:
    """Exact {date, time} values are normalized in place; phrases widen to the range they mean."""
    if all(isinstance(raw, StudyDateAndTime) for raw in raws):
        return _described("DICOMStudyDateAndTime", [_exact_study_date(raw, where) for raw in raws], operator)
    if len(raws) == 1:
        return read_study_date(raws[0], clock, f"{where}.DICOMStudyDateAndTime")
    low, high = (_as_phrase_or_exact(raw, clock, where) for raw in raws)
    return _joined("DICOMStudyDateAndTime", low, high)


def _as_phrase_or_exact(raw: Any, clock: Clock, where: str) -> Criterion:
    if isinstance(raw, StudyDateAndTime):
        return _described("DICOMStudyDateAndTime", [_exact_study_date(raw, where)], "EQUAL")
    return read_study_date(raw, clock, f"{where}.DICOMStudyDateAndTime")


def _exact_study_date(raw: StudyDateAndTime, where: str) -> dict[str, Any]:
    try:
        inner = {"DICOMStudyDate": values.dicom_date(raw.DICOMStudyDate, f"{where}.DICOMStudyDate")}
        if raw.DICOMStudyTime is not None:
            inner["DICOMStudyTime"] = values.dicom_time(raw.DICOMStudyTime, f"{where}.DICOMStudyTime")
    except values.NormalizeError as exc:
        raise _fail(exc) from None
    return {"DICOMStudyDateAndTime": inner}


def _instant_filter(attribute: str, raws: list[Any], operator: str, clock: Clock, where: str) -> Criterion:
    readings_ = [read_instants(attribute, _instant_input(raw), clock, f"{where}.{attribute}") for raw in raws]
    if len(readings_) == 1:
        return readings_[0]
    return _joined(attribute, *readings_)


def _joined(attribute: str, low: Criterion, high: Criterion) -> Criterion:
    """BETWEEN from the start of one reading to the end of another ("January 2020" to "March 2021")."""
    search_filter = {"values": [low.filter["values"][0], high.filter["values"][-1]], "operator": "BETWEEN"}
    return Criterion(attribute, search_filter, low.read + high.read)


def _instant_input(raw: Any) -> Any:
    """A datetime as the ISO text the normalizer passes through unchanged (naive means UTC, as botocore takes it)."""
    if isinstance(raw, datetime):
        return aware(raw).isoformat()
    return raw


def _is_phrase(attribute: str, raw: Any) -> bool:
    """A loose value that stands for a whole range (a date phrase), as opposed to one exact bound."""
    if attribute == "DICOMStudyDateAndTime":
        return isinstance(raw, str)
    if attribute in INSTANT_ATTRIBUTES and isinstance(raw, str):
        try:
            datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            return True
    return False


def _check_arity(attribute: str, raws: list[Any], operator: str, where: str) -> None:
    if operator == "EQUAL" and len(raws) != 1:
        raise SearchError(f"{where}: EQUAL takes exactly one value; for a range use BETWEEN with two")
    if operator == "BETWEEN" and len(raws) != 2 and not _is_phrase(attribute, raws[0]):
        raise SearchError(
            f"{where}: BETWEEN takes two values, the lower then the upper bound (or, for dates, one phrase such as "
            "'last March')"
        )
    if operator == "BETWEEN" and attribute not in RANGE_ATTRIBUTES:  # the service's rule, stated once
        ranged = f"{', '.join(RANGE_ATTRIBUTES[:-1])} and {RANGE_ATTRIBUTES[-1]}"
        raise SearchError(f"{where}: BETWEEN works on {ranged}; use EQUAL")


def _filter_criterion(search_filter: SearchFilter, index: int, clock: Clock) -> Criterion:
    attribute = _attribute_of(search_filter, index)
    raws = _raw_values(search_filter, attribute)
    operator = search_filter.operator
    where = f"search_criteria.filters.{index}"
    _check_arity(attribute, raws, operator, where)
    if attribute == "DICOMStudyDateAndTime":
        return _study_date_filter(raws, operator, clock, where)
    if attribute in INSTANT_ATTRIBUTES:
        return _instant_filter(attribute, raws, operator, clock, where)
    if attribute == "isPrimary":
        return _described(attribute, [{"isPrimary": raw} for raw in raws], operator)
    cleaned = [_guard(lambda raw=raw: _exact_id(attribute, raw, f"{where}.{attribute}")) for raw in raws]
    merged = [criterion.filter["values"][0] for criterion in cleaned]
    return Criterion(attribute, {"values": merged, "operator": operator})


def from_aws(criteria: SearchCriteria, clock: Clock) -> list[Criterion]:
    return [_filter_criterion(item, index, clock) for index, item in enumerate(criteria.filters or [])]


def sort_of(criteria: SearchCriteria | None) -> dict[str, str] | None:
    return criteria.sort.model_dump() if criteria is not None and criteria.sort is not None else None


def normalize_search_criteria(
    raw: dict[str, Any], *, today: date | None = None, tz: ZoneInfo, now: datetime | None = None
) -> tuple[dict[str, Any], list[str]]:
    """AWS searchCriteria with loose values -> (exact searchCriteria, plain-words lines): the CLI's entry point.

    "today" is `now`'s date in `tz`; a caller that knows only the day may pass `today` (read as its noon in `tz`).
    """
    if now is None and today is not None:
        now = datetime.combine(today, time(12), tz)
    try:
        model = SearchCriteria.model_validate(raw)
    except ValidationError as exc:
        raise SearchError(describe_validation_error(exc, "search criteria")) from None
    clock = Clock.at(tz, now)
    found = from_aws(model, clock)
    exact: dict[str, Any] = {}
    if found:
        exact["filters"] = [criterion.filter for criterion in found]
    if (sort := sort_of(model)) is not None:
        exact["sort"] = sort
    return exact, [line for criterion in found for line in criterion.read]
