"""Turn DICOM element values into the JSON values HealthImaging files them as, mending legacy spellings on the way.

Old scanners and ACR-NEMA era files write dates as `1997.04.24` and times as `14:07:28`, pad strings with spaces
and leave attributes present but empty. Search compares the normalized forms (yyyyMMdd, HHmmss[.FFFFFF]), so the
importer mends them once here and every later comparison is plain string order. This module knows values only;
which attribute sits at which metadata level is the importer's business.
"""

import math
import re
import struct
from collections.abc import MutableSequence
from typing import Any

# VRs whose values are raw bytes: HealthImaging serves them as frames or not at all, so metadata leaves them out.
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"})
INTEGER_VRS = frozenset({"IS", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"})
FLOAT_VRS = frozenset({"DS", "FD", "FL"})

# An escape sequence: a terminal's control sequence (ESC [, parameters, intermediates, a final byte), or an ISO 2022
# one (ESC, intermediate bytes, a final byte); and the control characters no value keeps.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\x20-\x2f]*[\x30-\x7e]?)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_LEGACY_DATE = re.compile(r"^(\d{4})[.\-/](\d{2})[.\-/](\d{2})$")
_LEGACY_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$")


def clean_text(value: Any) -> str | None:
    """Trim DICOM padding (spaces, NULs); an empty string becomes None, as HealthImaging writes empty values.

    No control character is kept but tab, line feed, carriage return and form feed (the ones DICOM text may hold):
    an ISO 2022 escape sequence that pydicom leaves in decoded text (it does for `ESC $ ) A`, ISO 2022 IR 58) is
    removed whole, which leaves that text as it should read; so is a terminal's control sequence; and any other
    control character is dropped, so no stored value can drive a terminal.
    """
    if value is None:
        return None
    text = str(value)
    if not text.isprintable():
        text = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
    text = text.strip(" \x00\t\r\n")
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


def _at_text(value: Any) -> str:
    return f"{int(value):08X}"


# VR -> how one value becomes JSON; any VR not named here is text, trimmed.
_JSON_CONVERTERS = {
    **dict.fromkeys(INTEGER_VRS, to_int),
    **dict.fromkeys(FLOAT_VRS, to_float),
    "DA": normalize_date,
    "TM": normalize_time,
    "AT": _at_text,
}


def scalar_value(vr: str, value: Any) -> Any:
    """One value of an element as JSON: numbers as numbers, DA/TM normalized, text and names trimmed strings."""
    if value is None:
        return None
    return _JSON_CONVERTERS.get(vr, clean_text)(value)


_PLAIN_SCALARS = frozenset({str, int, float, type(None)})


def element_value(vr: str, value: Any, item_to_json) -> Any:
    """A whole element's value as JSON: one value bare, several as a list, a sequence as a list of item dicts.

    `item_to_json` converts one sequence item (a Dataset) to a dict; the caller supplies it because which
    attributes of an item to keep is its decision, not this module's.
    """
    if vr == "SQ":
        return [item_to_json(item) for item in value] or None
    if type(value) in _PLAIN_SCALARS:  # most values: spares the slower abstract-class check below
        return _JSON_CONVERTERS.get(vr, clean_text)(value) if value is not None else None
    if isinstance(value, (list, tuple, MutableSequence)):  # pydicom's MultiValue is a MutableSequence
        values = [scalar_value(vr, one) for one in value]
        return values or None
    return scalar_value(vr, value)


# -- raw element bytes, decoded as pydicom decodes them ---------------------------------------------------------------
# The importer's fast reader hands over an element's raw bytes; `raw_value` returns what pydicom's own conversion
# would (plain str/int/float/list in place of pydicom's UID, IS, DSfloat, PersonName and MultiValue, which
# `element_value` treats alike), so both readers import identical values. As in pydicom's `values.converters`, one
# table says how each VR is converted. What a converter does not reproduce exactly it declines with `NotDecoded`, and
# pydicom converts that value instead.

_IS_TEXT = re.compile(r"^ *[+-]?[0-9]+ *$")
_DS_TEXT = re.compile(r"^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$")


class NotDecoded(Exception):
    """A value `raw_value` cannot decode exactly as pydicom would (an escape sequence, a malformed number, ...)."""


def raw_value(vr: str, data: bytes, encoding: str) -> Any:
    """The value pydicom gives an element of `vr` whose raw bytes are `data` (little endian), in plain types.

    `encoding` is the Python codec of the file's first character set; text with ISO 2022 escapes is declined.
    """
    if not data:
        return None  # every VR's empty value becomes None in `element_value`
    convert = _RAW_CONVERTERS.get(vr)
    if convert is None:
        raise NotDecoded(vr)
    return convert(data, encoding)


def raw_json_value(vr: str, data: bytes, encoding: str) -> Any:
    """`element_value` of `raw_value`, in one step: the JSON value of an element of `vr` whose raw bytes are `data`.
    The fast reader converts nearly every value this way; raises NotDecoded as `raw_value` does."""
    if not data:
        return None
    convert = _RAW_CONVERTERS.get(vr)
    if convert is None:
        raise NotDecoded(vr)
    value = convert(data, encoding)
    to_json = _JSON_CONVERTERS.get(vr, clean_text)
    if type(value) is list:
        return [to_json(one) for one in value] or None
    return to_json(value)


def _numbers(code: str):
    """The converter of a binary number VR: `code` is its struct format character."""
    size = struct.calcsize(f"<{code}")

    def convert(data: bytes, _encoding: str) -> Any:
        if len(data) % size:
            raise NotDecoded("length is not a multiple of the value size")
        values = struct.unpack(f"<{len(data) // size}{code}", data)
        return values[0] if len(values) == 1 else list(values)

    return convert


def _texts(data: bytes, encoding: str) -> Any:
    """SH, LO, UC: the file's character set, split on backslashes."""
    return _one_or_many([part.rstrip("\x00 ") for part in _text(data, encoding).split("\\")])


def _names(data: bytes, encoding: str) -> Any:
    """PN: as `_texts`, each name printed as pydicom's PersonName prints it."""
    return _one_or_many([_person_name(part) for part in _text(data.rstrip(b"\x00 "), encoding).split("\\")])


def _single_text(data: bytes, encoding: str) -> str:
    """ST, LT, UT: the file's character set, never split."""
    return _text(data, encoding).rstrip("\x00 ")


def _plain(data: bytes, _encoding: str) -> Any:
    """AS, CS, DA, DT, TM, UI: ASCII by the standard, read as pydicom reads them."""
    return _one_or_many(data.decode("latin-1").rstrip(" \x00").split("\\"))


def _application_entities(data: bytes, _encoding: str) -> Any:
    return _one_or_many([part.strip() for part in data.decode("latin-1").split("\\")])


def _uri(data: bytes, _encoding: str) -> str:
    return data.decode("latin-1").rstrip()


def _integer_strings(data: bytes, _encoding: str) -> Any:
    return _one_or_many([_checked(part, _IS_TEXT) for part in data.decode("latin-1").rstrip(" \x00").split("\\")])


def _decimal_strings(data: bytes, _encoding: str) -> Any:
    text = data.decode("latin-1").strip().rstrip(" \x00")
    return _one_or_many([_checked(part, _DS_TEXT) for part in text.split("\\")])


_RAW_CONVERTERS = {
    **{vr: _numbers(code) for vr, code in {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d",
                                           "SV": "q", "UV": "Q"}.items()},
    **dict.fromkeys(("SH", "LO", "UC"), _texts),
    "PN": _names,
    **dict.fromkeys(("ST", "LT", "UT"), _single_text),
    **dict.fromkeys(("AS", "CS", "DA", "DT", "TM", "UI"), _plain),
    "AE": _application_entities,
    "UR": _uri,
    "IS": _integer_strings,
    "DS": _decimal_strings,
}  # fmt: skip


def _text(data: bytes, encoding: str) -> str:
    """Bytes in the file's character set; pydicom substitutes what does not decode, and so does this."""
    if b"\x1b" in data:
        raise NotDecoded("ISO 2022 escape sequence")
    try:
        return data.decode(encoding)
    except UnicodeError:
        return data.decode(encoding, errors="replace")


def _person_name(text: str) -> str:
    """A name as pydicom's PersonName prints it: its component groups, trailing empty groups dropped."""
    groups = text.split("=")
    while groups and not groups[-1]:
        groups.pop()
    return "=".join(groups)


def _checked(part: str, pattern: re.Pattern) -> str:
    """An IS or DS value kept as text (`to_int`/`to_float` read it); blank or well-formed, else declined."""
    if part.strip() and not pattern.match(part):
        raise NotDecoded("number text that pydicom would convert its own way")
    return part


def _one_or_many(values: list) -> Any:
    return values[0] if len(values) == 1 else values
