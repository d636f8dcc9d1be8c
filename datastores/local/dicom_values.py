"""Turn DICOM element values into the JSON values HealthImaging files them as, mending legacy spellings on the way.

Old scanners and ACR-NEMA era files write dates as `1997.04.24` and times as `14:07:28`, pad strings with spaces
and leave attributes present but empty. Search compares the normalized forms (yyyyMMdd, HHmmss[.FFFFFF]), so the
importer mends them once here and every later comparison is plain string order. This module knows values only;
which attribute sits at which metadata level is the importer's business.
"""

import math
import re
from collections.abc import MutableSequence
from typing import Any

# VRs whose values are raw bytes: HealthImaging serves them as frames or not at all, so metadata leaves them out.
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"})
INTEGER_VRS = frozenset({"IS", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"})
FLOAT_VRS = frozenset({"DS", "FD", "FL"})

_LEGACY_DATE = re.compile(r"^(\d{4})[.\-/](\d{2})[.\-/](\d{2})$")
_LEGACY_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$")


def clean_text(value: Any) -> str | None:
    """Trim DICOM padding (spaces, NULs); an empty string becomes None, as HealthImaging writes empty values."""
    if value is None:
        return None
    text = str(value).strip(" \x00\t\r\n")
    return text or None


def normalize_date(value: Any) -> str | None:
    """`1997.04.24` (or `1997-04-24`, `1997/04/24`) -> `19970424`; other values are only trimmed."""
    text = clean_text(value)
    if text is None:
        return None
    match = _LEGACY_DATE.match(text)
    return "".join(match.groups()) if match else text


def normalize_time(value: Any) -> str | None:
    """`14:07:28` -> `140728`, `14:07:28.5` -> `140728.5`, `14:07` -> `1407`; other values are only trimmed."""
    text = clean_text(value)
    if text is None:
        return None
    match = _LEGACY_TIME.match(text)
    return "".join(part for part in match.groups() if part) if match else text


def to_int(value: Any) -> int | None:
    """An IS value as an int (`" 5 "`, `"5.0"` and 5 alike); None when it is empty or not a whole number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def to_float(value: Any) -> float | None:
    """A DS/FL/FD value as a float; NaN and infinities (not JSON) and unreadable text become None."""
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def scalar_value(vr: str, value: Any) -> Any:
    """One value of an element as JSON: numbers as numbers, DA/TM normalized, text and names trimmed strings."""
    if value is None:
        return None
    if vr in INTEGER_VRS:
        return to_int(value)
    if vr in FLOAT_VRS:
        return to_float(value)
    if vr == "DA":
        return normalize_date(value)
    if vr == "TM":
        return normalize_time(value)
    if vr == "AT":
        return f"{int(value):08X}"
    return clean_text(value)


def element_value(vr: str, value: Any, item_to_json) -> Any:
    """A whole element's value as JSON: one value bare, several as a list, a sequence as a list of item dicts.

    `item_to_json` converts one sequence item (a Dataset) to a dict; the caller supplies it because which
    attributes of an item to keep is its decision, not this module's.
    """
    if vr == "SQ":
        return [item_to_json(item) for item in value] or None
    if isinstance(value, (MutableSequence, tuple)):  # pydicom's MultiValue is a MutableSequence
        values = [scalar_value(vr, one) for one in value]
        return values or None
    return scalar_value(vr, value)
