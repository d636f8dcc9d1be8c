"""The search tool's continuation token: the whole query plus the paginator's position, opaque and compact.

A token is enough on its own to continue (the model need not repeat the criteria), survives a server restart (it
holds no server state), and is tamper-evident: a keyed checksum over the body turns any mutation, truncation or
foreign string into a clear error instead of another query's results. Layout, base64url without padding: version
byte, the datastore id in 21 bytes, the place in the page (6 bytes), the service token as raw bytes (kind, length,
bytes), the query as compact JSON (raw-deflated when that is shorter), an 8-byte BLAKE2b tag. Attribute names travel
as one-letter codes and instants as epoch milliseconds (the service's own precision): tokens stay near 150
characters on the local datastore.
"""

import base64
import binascii
import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from imageset_search.tools.criteria import Criterion
from imageset_search.tools.errors import SearchError
from imageset_search.tools.paginator import Position
from imageset_search.tools.planner import Query
from imageset_search.tools.refine import Refinements

VERSION = 2
_DATASTORE_BYTES = 21  # 36**32 < 256**21
_PLACE_BYTES = 6  # page size, offset (both at most 50) and the 32-bit mark of the last item consumed
_KEY = b"imageset-search-mcp/next_token/v1"
_TAG_BYTES = 8
_ATTRIBUTES = (
    "DICOMPatientId", "DICOMAccessionNumber", "DICOMStudyId", "DICOMStudyInstanceUID", "DICOMSeriesInstanceUID",
    "createdAt", "updatedAt", "DICOMStudyDateAndTime", "isPrimary",
)  # fmt: skip
_CODES = {name: chr(ord("a") + index) for index, name in enumerate(_ATTRIBUTES)}
_NAMES = {code: name for name, code in _CODES.items()}
_OPERATORS = ("EQUAL", "BETWEEN")
_TIME_SHORTHANDS = {"000000": "0", "235959.999999": "9"}  # the bounds every date range has
_TIME_LONGHANDS = {short: clock for clock, short in _TIME_SHORTHANDS.items()}
_SORT_FIELDS = ("updatedAt", "createdAt", "DICOMStudyDateAndTime")
_SORT_ORDERS = ("ASC", "DESC")
_REFINEMENT_KEYS = {
    "modality": "m", "body_part": "b", "patient_name": "n", "study_description": "t", "patient_sex": "x",
    "birth_date": "y",
}  # fmt: skip


@dataclass(frozen=True)
class View:
    """How results are shown; a continued search keeps its first call's view unless the call names another."""

    detail: str = "summary"
    fields: tuple[str, ...] | None = None


INVALID = (
    "next_token is not valid: it is damaged, truncated, or not a token this tool issued. Send the next_token of the "
    "latest result unchanged, or drop next_token to start the search again."
)


def _pack_value(attribute: str, value: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return round(moment.timestamp() * 1000)
    if attribute == "DICOMStudyDateAndTime":
        if "DICOMStudyTime" not in value:
            return value["DICOMStudyDate"]
        clock = value["DICOMStudyTime"]
        return f"{value['DICOMStudyDate']}T{_TIME_SHORTHANDS.get(clock, clock)}"
    return value


def _unpack_value(attribute: str, packed: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        return datetime.fromtimestamp(packed / 1000, timezone.utc)
    if attribute == "DICOMStudyDateAndTime":
        day, marked, clock = packed.partition("T")
        value = {"DICOMStudyDate": day}
        if marked:
            value["DICOMStudyTime"] = _TIME_LONGHANDS.get(clock, clock)
        return value
    return packed


def _pack_criterion(criterion: Criterion) -> list[Any]:
    attribute = criterion.attribute
    values = [_pack_value(attribute, value[attribute]) for value in criterion.filter["values"]]
    return [_CODES[attribute], _OPERATORS.index(criterion.filter["operator"]), values]


def _unpack_criterion(packed: list[Any]) -> Criterion:
    code, operator, values = packed
    attribute = _NAMES[code]
    search_filter = {
        "values": [{attribute: _unpack_value(attribute, value)} for value in values],
        "operator": _OPERATORS[operator],
    }
    return Criterion(attribute, search_filter)


def _pack_refinements(refinements: Refinements) -> dict[str, Any]:
    packed = {}
    for name, key in _REFINEMENT_KEYS.items():
        value = getattr(refinements, name)
        if value:
            packed[key] = list(value) if isinstance(value, tuple) else value
    return packed


def _unpack_refinements(packed: dict[str, Any]) -> Refinements:
    values = {name: packed[key] for name, key in _REFINEMENT_KEYS.items() if key in packed}
    if "modality" in values:
        values["modality"] = tuple(values["modality"])
    if "birth_date" in values:
        values["birth_date"] = tuple(values["birth_date"])
    return Refinements(**values)


def pack_query(query: Query) -> dict[str, Any]:
    """The query as compact JSON-ready data: also how two queries are compared."""
    packed: dict[str, Any] = {"f": [_pack_criterion(c) for c in query.criteria]}
    if refinements := _pack_refinements(query.refinements):
        packed["r"] = refinements
    if query.sort:
        packed["s"] = [_SORT_FIELDS.index(query.sort["sortField"]), _SORT_ORDERS.index(query.sort["sortOrder"])]
    return packed


def _unpack_query(packed: dict[str, Any]) -> Query:
    sort = None
    if "s" in packed:
        field, order = packed["s"]
        sort = {"sortField": _SORT_FIELDS[field], "sortOrder": _SORT_ORDERS[order]}
    criteria = tuple(_unpack_criterion(item) for item in packed["f"])
    return Query(criteria, _unpack_refinements(packed.get("r", {})), sort)


def canonical(query: Query) -> Query:
    """The query as a token will give it back: a resumed search sends the service exactly what the first call did."""
    again = _unpack_query(json.loads(json.dumps(pack_query(query))))
    criteria = tuple(replace(back, read=first.read) for first, back in zip(query.criteria, again.criteria))
    return replace(again, criteria=criteria)


def _tag(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=_TAG_BYTES).digest()


def _pack_datastore(datastore_id: str) -> bytes:
    """A [0-9a-z]{32} id in 21 bytes (base 36)."""
    return int(datastore_id, 36).to_bytes(_DATASTORE_BYTES, "big")


def _unpack_datastore(raw: bytes) -> str:
    digits, number = [], int.from_bytes(raw, "big")
    for _ in range(32):
        number, digit = divmod(number, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    return "".join(reversed(digits))


def _pack_opaque(text: str | None) -> bytes:
    """A service token as its bytes when it is base64 text (most are), else as UTF-8: kind, length, bytes."""
    if text is None:
        return bytes([0])
    for kind, decode_, encode_ in _OPAQUE_KINDS:
        try:
            raw = decode_(text)
        except (binascii.Error, ValueError):
            continue
        if encode_(raw) == text:
            return bytes([kind]) + len(raw).to_bytes(2, "big") + raw
    raw = text.encode()
    return bytes([len(_OPAQUE_KINDS) + 1]) + len(raw).to_bytes(2, "big") + raw


def _unpack_opaque(body: bytes) -> tuple[str | None, bytes]:
    """(the service token, the bytes after it)."""
    kind = body[0]
    if kind == 0:
        return None, body[1:]
    length = int.from_bytes(body[1:3], "big")
    raw, rest = body[3 : 3 + length], body[3 + length :]
    if len(raw) != length:
        raise ValueError("truncated")
    if kind == len(_OPAQUE_KINDS) + 1:
        return raw.decode(), rest
    return _OPAQUE_KINDS[kind - 1][2](raw), rest


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_OPAQUE_KINDS = (
    (1, _from_b64url, _b64url),
    (2, lambda text: base64.b64decode(text, validate=True), lambda raw: base64.b64encode(raw).decode()),
)


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    squeezed = packer.compress(data) + packer.flush()
    return b"\x01" + squeezed if len(squeezed) < len(data) else b"\x00" + data


def _inflate(data: bytes) -> bytes:
    return zlib.decompress(data[1:], -15) if data[:1] == b"\x01" else data[1:]


def encode(datastore_id: str, query: Query, position: Position, view: View) -> str:
    payload = pack_query(query)
    if view != View():
        payload["v"] = [view.detail, list(view.fields or ())]
    rest = _deflate(json.dumps(payload, separators=(",", ":")).encode())
    place = struct.pack(">BBI", position.page_size, position.offset, position.last)
    body = bytes([VERSION]) + _pack_datastore(datastore_id) + place + _pack_opaque(position.service_token) + rest
    return _b64url(body + _tag(body))


def decode(token: str) -> tuple[str, Query, Position, View]:
    """(datastore id, query, position, view) of a token this tool issued; SearchError for anything else."""
    try:
        raw = _from_b64url(token.strip())
    except (binascii.Error, ValueError):
        raise SearchError(INVALID) from None
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if len(raw) <= _TAG_BYTES + 1 + _DATASTORE_BYTES or _tag(body) != tag:
        raise SearchError(INVALID)
    if body[0] != VERSION:
        raise SearchError(f"next_token is from another version of this tool ({body[0]}); start the search again.")
    try:
        datastore_id = _unpack_datastore(body[1 : 1 + _DATASTORE_BYTES])
        place_end = 1 + _DATASTORE_BYTES + _PLACE_BYTES
        size, offset, last = struct.unpack(">BBI", body[1 + _DATASTORE_BYTES : place_end])
        service_token, rest = _unpack_opaque(body[place_end:])
        payload = json.loads(_inflate(rest))
        detail, fields = payload.get("v", ["summary", []])
        view = View(detail, tuple(fields) or None)
        return datastore_id, _unpack_query(payload), Position(service_token, size, offset, last), view
    except (zlib.error, struct.error, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
        raise SearchError(INVALID) from None
