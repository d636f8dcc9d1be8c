"""Validate a SearchImageSets `searchCriteria` exactly as the service's rules allow, and turn it into a Query.

botocore checks almost nothing client-side, so every rule of the service model is enforced here: unknown keys,
list sizes, the one-attribute union, which operator takes which attribute, string lengths and patterns, date and
time formats, bound order. Messages follow AWS's wording, point at the offending path (1-based indexes, as in
'searchCriteria.filters.1.values') and say what is allowed; patient values are named, never repeated.

Decisions where the service is silent (documented in the store's docstring too): two filters AND together, also two
on the same attribute; an EQUAL on DICOMStudyDateAndTime without a time matches the whole day; an empty EQUAL value
on an ID attribute matches image sets that lack that attribute.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores.instants import epoch_seconds_to_millis, to_millis
from imageset_search.datastores.studytime import DAY_END, DAY_START, study_key
from imageset_search.datastores.validation import invalid, short

ID_COLUMNS = {
    "DICOMPatientId": "patient_id",
    "DICOMAccessionNumber": "accession_number",
    "DICOMStudyId": "study_id",
    "DICOMStudyInstanceUID": "study_uid",
    "DICOMSeriesInstanceUID": "series_uid",
}
INSTANT_COLUMNS = {"createdAt": "created_at", "updatedAt": "updated_at"}
RANGE_ATTRIBUTES = ["createdAt", "updatedAt", "DICOMStudyDateAndTime"]
SORT_COLUMNS = {"updatedAt": "updated_at", "createdAt": "created_at", "DICOMStudyDateAndTime": "study_dt"}
DEFAULT_SORT = ("updatedAt", "DESC")
MIN_MILLIS = to_millis(datetime(1, 1, 1))
MAX_MILLIS = to_millis(datetime(9999, 12, 31, 23, 59, 59, 999000))
STUDY_DATE_PATTERN = re.compile(r"\d{8}")
STUDY_TIME_PATTERN = re.compile(r"([01]\d|2[0-3])[0-5]\d[0-5]\d(\.\d{1,6})?")


@dataclass(frozen=True)
class Condition:
    """One filter as the index sees it: `column` between `low` and `high` inclusive (equal when they are the same)."""

    column: str
    low: Any
    high: Any


@dataclass(frozen=True)
class Query:
    conditions: tuple[Condition, ...]
    sort_field: str  # AWS name: updatedAt | createdAt | DICOMStudyDateAndTime
    sort_order: str  # ASC | DESC
    checks: tuple[Any, ...] = ()  # the local store's refinement checks beyond searchCriteria (local/refined.py)

    @property
    def sort_column(self) -> str:
        return SORT_COLUMNS[self.sort_field]

    def canonical(self) -> str:
        """A stable text of what this query selects and in which order, so a nextToken can be bound to it."""
        parts = sorted(f"{c.column}:{c.low!r}:{c.high!r}" for c in self.conditions)
        return "|".join([self.sort_field, self.sort_order, *parts, *sorted(c.canonical() for c in self.checks)])

    def echo_sort(self) -> dict[str, str]:
        return {"sortOrder": self.sort_order, "sortField": self.sort_field}


def parse_criteria(criteria: Any) -> Query:
    """The Query a `searchCriteria` (None or {} for every image set) asks for; ValidationException if it breaks a
    rule."""
    if criteria is None:
        criteria = {}
    path = "searchCriteria"
    if not isinstance(criteria, dict):
        raise invalid(path, "Member must be an object with the optional keys filters and sort")
    _reject_unknown_keys(path, criteria, ["filters", "sort"])
    conditions = _parse_filters(criteria["filters"]) if "filters" in criteria else ()
    sort_field, sort_order = _parse_sort(criteria["sort"]) if "sort" in criteria else DEFAULT_SORT
    return Query(conditions, sort_field, sort_order)


def parse_more_filters(path: str, filters: Any) -> tuple[Condition, ...]:
    """Filters beyond the two of a searchCriteria (a datastore's `extra_filters`), each under the service's rules."""
    return tuple(_parse_filter(f"{path}.{number}", item) for number, item in enumerate(filters, 1))


def _reject_unknown_keys(path: str, value: dict, allowed: list[str]) -> None:
    for key in value:
        if key not in allowed:
            raise invalid(path, f"Member must only have the keys [{', '.join(allowed)}]; remove the key {short(key)!r}")


def _parse_filters(filters: Any) -> tuple[Condition, ...]:
    path = "searchCriteria.filters"
    if not isinstance(filters, list):
        raise invalid(path, "Member must be a list of 1 to 2 filters")
    if not 1 <= len(filters) <= service.FILTERS_MAX:
        raise invalid(
            path,
            f"Member must have length between 1 and {service.FILTERS_MAX}, not {len(filters)} "
            "(leave out 'filters' entirely to search every image set)",
        )
    return tuple(_parse_filter(f"{path}.{number}", item) for number, item in enumerate(filters, 1))


def _parse_filter(path: str, item: Any) -> Condition:
    if not isinstance(item, dict):
        raise invalid(path, "Member must be an object with the keys values and operator")
    _reject_unknown_keys(path, item, ["values", "operator"])
    for key in ("values", "operator"):
        if key not in item:
            raise invalid(path, f"Member must have the key {key!r}")
    operator = item["operator"]
    if operator not in service.OPERATORS:
        raise invalid(
            f"{path}.operator", f"Member must satisfy enum value set: [{', '.join(service.OPERATORS)}]", shown=operator
        )
    values = item["values"]
    if not isinstance(values, list) or not 1 <= len(values) <= service.VALUES_MAX:
        raise invalid(f"{path}.values", "Member must be a list of 1 to 2 values, each an object with one attribute")
    attributes = [_single_attribute(f"{path}.values.{n}", value) for n, value in enumerate(values, 1)]
    if operator == "EQUAL":
        return _parse_equal(path, attributes, values)
    return _parse_between(path, attributes, values)


def _single_attribute(path: str, value: Any) -> str:
    """The one attribute a union value sets; it must set exactly one, from the union's members."""
    if not isinstance(value, dict) or len(value) != 1:
        raise invalid(
            path, f"Member must be an object with exactly one of the keys [{', '.join(service.SEARCH_ATTRIBUTES)}]"
        )
    (attribute,) = value
    if attribute not in service.SEARCH_ATTRIBUTES:
        raise invalid(
            path,
            f"Member must have exactly one of the keys [{', '.join(service.SEARCH_ATTRIBUTES)}]; "
            f"{short(attribute)!r} is not one",
        )
    return attribute


def _parse_equal(path: str, attributes: list[str], values: list[dict]) -> Condition:
    if len(values) != 1:
        raise invalid(f"{path}.values", "Member must have exactly 1 value when operator is EQUAL (BETWEEN takes 2)")
    attribute = attributes[0]
    raw = values[0][attribute]
    value_path = f"{path}.values.1.{attribute}"
    if attribute in ID_COLUMNS:
        text = _id_value(value_path, attribute, raw)
        return Condition(ID_COLUMNS[attribute], text, text)
    if attribute in INSTANT_COLUMNS:
        millis = _instant(value_path, attribute, raw)
        return Condition(INSTANT_COLUMNS[attribute], millis, millis)
    if attribute == "isPrimary":
        if not isinstance(raw, bool):
            raise invalid(value_path, "Member must be a boolean: true or false")
        return Condition("is_primary", int(raw), int(raw))
    date, time = _study_date_and_time(value_path, raw)
    if time is None:
        return Condition("study_dt", study_key(date, DAY_START), study_key(date, DAY_END))
    return Condition("study_dt", study_key(date, time), study_key(date, time))


def _parse_between(path: str, attributes: list[str], values: list[dict]) -> Condition:
    if len(values) != 2:
        raise invalid(
            f"{path}.values", "Member must have exactly 2 values (lower bound, then upper) when operator is BETWEEN"
        )
    if attributes[0] != attributes[1]:
        raise invalid(f"{path}.values", "Member must use the same attribute in both values of a BETWEEN")
    attribute = attributes[0]
    if attribute not in RANGE_ATTRIBUTES:
        raise invalid(
            f"{path}.operator",
            f"BETWEEN is only allowed on [{', '.join(RANGE_ATTRIBUTES)}]; use EQUAL for {attribute}",
            shown="BETWEEN",
        )
    paths = [f"{path}.values.{n}.{attribute}" for n in (1, 2)]
    if attribute in INSTANT_COLUMNS:
        low, high = (_instant(p, attribute, v[attribute]) for p, v in zip(paths, values))
        column = INSTANT_COLUMNS[attribute]
    else:
        (low_date, low_time), (high_date, high_time) = (
            _study_date_and_time(p, v[attribute]) for p, v in zip(paths, values)
        )
        low, high = study_key(low_date, low_time or DAY_START), study_key(high_date, high_time or DAY_START)
        column = "study_dt"
    if low > high:
        raise invalid(
            f"{path}.values", f"Member must list the lower {attribute} bound first: the first value is after the second"
        )
    return Condition(column, low, high)


def _id_value(path: str, attribute: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise invalid(path, "Member must be a string", name=attribute)
    if len(raw) > service.VALUE_MAX_LENGTH:
        raise invalid(path, f"Member must have length less than or equal to {service.VALUE_MAX_LENGTH}", name=attribute)
    if attribute in service.UID_ATTRIBUTES and not service.UID_RE.fullmatch(raw):
        raise invalid(
            path,
            f"Member must satisfy regular expression pattern: {service.UID_PATTERN} (digits and dots only)",
            name=attribute,
        )
    return raw


def _instant(path: str, attribute: str, raw: Any) -> int:
    """A createdAt/updatedAt bound in any form botocore accepts, as UTC milliseconds (years 1 to 9999)."""
    try:
        millis = _instant_millis(raw)
    except (ValueError, OverflowError):
        millis = None
    if millis is None or not MIN_MILLIS <= millis <= MAX_MILLIS:
        raise invalid(
            path,
            "Member must be a datetime (naive means UTC), epoch seconds (int or float), or an ISO-8601 string such as "
            "2024-01-31T12:00:00Z, between the years 1 and 9999",
            name=attribute,
        )
    return millis


def _instant_millis(raw: Any) -> int | None:
    if isinstance(raw, datetime):
        return to_millis(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return epoch_seconds_to_millis(raw)
    if isinstance(raw, str):
        return (
            epoch_seconds_to_millis(float(raw))
            if _looks_numeric(raw)
            else to_millis(datetime.fromisoformat(raw.strip()))
        )
    return None


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*", text))


def _study_date_and_time(path: str, raw: Any) -> tuple[str, str | None]:
    """(yyyyMMdd, HHmmss[.FFFFFF] or None) from a DICOMStudyDateAndTime value; an empty time counts as absent."""
    if not isinstance(raw, dict):
        raise invalid(
            path,
            "Member must be an object with DICOMStudyDate (yyyyMMdd) and optional DICOMStudyTime (HHmmss[.FFFFFF])",
        )
    _reject_unknown_keys(path, raw, ["DICOMStudyDate", "DICOMStudyTime"])
    if "DICOMStudyDate" not in raw:
        raise invalid(path, "Member must have the key 'DICOMStudyDate' (yyyyMMdd)")
    date = raw["DICOMStudyDate"]
    if not isinstance(date, str) or not STUDY_DATE_PATTERN.fullmatch(date) or not _real_date(date):
        raise invalid(
            f"{path}.DICOMStudyDate",
            "Member must be a real date as 8 digits yyyyMMdd, e.g. 20230115",
            name="DICOMStudyDate",
        )
    time = raw.get("DICOMStudyTime")
    if time is None or time == "":
        return date, None
    if not isinstance(time, str) or not STUDY_TIME_PATTERN.fullmatch(time):
        raise invalid(
            f"{path}.DICOMStudyTime",
            "Member must be a time HHmmss with optional .FFFFFF (1-6 digits), e.g. 235959.999999",
            name="DICOMStudyTime",
        )
    return date, time


def _real_date(date: str) -> bool:
    try:
        datetime.strptime(date, "%Y%m%d")
    except ValueError:
        return False
    return True


def _parse_sort(sort: Any) -> tuple[str, str]:
    path = "searchCriteria.sort"
    if not isinstance(sort, dict):
        raise invalid(path, "Member must be an object with both sortField and sortOrder")
    _reject_unknown_keys(path, sort, ["sortField", "sortOrder"])
    for key in ("sortField", "sortOrder"):
        if key not in sort:
            raise invalid(path, f"Member must have both sortField and sortOrder; {key} is missing")
    field, order = sort["sortField"], sort["sortOrder"]
    if not isinstance(field, str) or field not in service.SORT_FIELDS:
        raise invalid(
            f"{path}.sortField", f"Member must satisfy enum value set: [{', '.join(service.SORT_FIELDS)}]", shown=field
        )
    if order not in service.SORT_ORDERS:
        raise invalid(
            f"{path}.sortOrder", f"Member must satisfy enum value set: [{', '.join(service.SORT_ORDERS)}]", shown=order
        )
    return field, order
