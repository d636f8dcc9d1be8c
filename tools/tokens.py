"""The search tool's next_token and the search-image-sets command's NextToken, in the one codec (datastores.tokens).

A tool token holds the whole query plus the paginator's position and the view, so it is enough on its own to
continue, holds no server state (it survives a restart) and is signed with the datastore's secret (never in the
source), so a forged or altered token is refused before anything is read. Payload: the datastore id in 21 bytes,
max_items (1 byte), the place in the page (6 bytes), the service token (kind, length, bytes), then the query and the
rest of the view as compact JSON (raw-deflated when that is shorter). Attribute names travel as one-letter codes and
instants as epoch milliseconds (the service's own precision): tokens stay under 200 characters on the local
datastore. What a token says is still checked as a fresh call's arguments are (`tools.search`): a secret can leak.

A command token holds only the position: like the AWS CLI's, it is sent back with the same criteria, to which its
scope binds it.
"""

import json
import struct
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores.instants import aware
from imageset_search.datastores.tokens import (
    CLI_RESUME, ID_BYTES, MAC_BYTES, SCOPE_BYTES, TOOL_SEARCH, TokenError, TokenSigner, from_b64url, pack_id,
    pack_text, unpack_id, unpack_text,
)  # fmt: skip
from imageset_search.tools.criteria import Criterion
from imageset_search.tools.errors import SearchError
from imageset_search.tools.paginator import Position
from imageset_search.tools.planner import Query
from imageset_search.tools.refine import Refinements

_PLACE = struct.Struct(">BBI")  # page size, offset (both at most 50) and the 32-bit mark of the last item consumed
# Image sets per call unless max_items says otherwise. Measured on the model trial's searches (bench/model_view.py):
# 10 took 31 calls for the 15 requests, 20 took 22, 25 took 20 and 50 took 17, while the largest page grew from 4.7
# to 5.7, 7.7 and 12.1 KB of text; 25 saves most of the calls and keeps a broad first page well under 50's.
DEFAULT_MAX_ITEMS = 25
_CODES = {name: chr(ord("a") + index) for index, name in enumerate(service.SEARCH_ATTRIBUTES)}  # order is format
_NAMES = {code: name for name, code in _CODES.items()}
_TIME_SHORTHANDS = {"000000": "0", "235959.999999": "9"}  # the bounds every date range has
_TIME_LONGHANDS = {short: clock for clock, short in _TIME_SHORTHANDS.items()}
_REFINEMENT_KEYS = {
    "modality": "m", "body_part": "b", "patient_name": "n", "study_description": "t", "patient_sex": "x",
    "birth_date": "y",
}  # fmt: skip


@dataclass(frozen=True)
class View:
    """The shape of each page; a continued search keeps the view of the call that issued its token unless the call
    names another."""

    detail: str = "summary"
    fields: tuple[str, ...] | None = None
    max_items: int = DEFAULT_MAX_ITEMS


INVALID = (
    "next_token is not valid: it is damaged, truncated, or not a token this tool issued. Send the next_token of the "
    "latest result unchanged, or drop next_token to start the search again."
)
EMPTY = (
    "next_token is empty: send the next_token of the latest result unchanged, or leave next_token out to start a "
    "new search."
)


def _pack_value(attribute: str, value: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        moment = aware(value)
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
    return [_CODES[attribute], service.OPERATORS.index(criterion.filter["operator"]), values]


def _unpack_criterion(packed: list[Any]) -> Criterion:
    code, operator, values = packed
    attribute = _NAMES[code]
    search_filter = {
        "values": [{attribute: _unpack_value(attribute, value)} for value in values],
        "operator": service.OPERATORS[operator],
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
        field, order = query.sort["sortField"], query.sort["sortOrder"]
        packed["s"] = [service.SORT_FIELDS.index(field), service.SORT_ORDERS.index(order)]
    return packed


def _unpack_query(packed: dict[str, Any]) -> Query:
    sort = None
    if "s" in packed:
        field, order = packed["s"]
        sort = {"sortField": service.SORT_FIELDS[field], "sortOrder": service.SORT_ORDERS[order]}
    criteria = tuple(_unpack_criterion(item) for item in packed["f"])
    return Query(criteria, _unpack_refinements(packed.get("r", {})), sort)


def canonical(query: Query) -> Query:
    """The query as a token will give it back: a resumed search sends the service exactly what the first call did."""
    again = _unpack_query(json.loads(json.dumps(pack_query(query))))
    criteria = tuple(replace(back, read=first.read) for first, back in zip(query.criteria, again.criteria))
    return replace(again, criteria=criteria)


def _pack_position(position: Position) -> bytes:
    return _PLACE.pack(position.page_size, position.offset, position.last) + pack_text(position.service_token)


def _unpack_position(data: bytes, default_size: bool) -> tuple[Position, bytes]:
    """(the position, the bytes after it), checked to be one the paginator can have made: mid-page means a page
    size of 1-50 (or the service's default, for the command) and an offset inside it; else both are 0."""
    if len(data) < _PLACE.size:
        raise TokenError("damaged")
    size, offset, last = _PLACE.unpack(data[: _PLACE.size])
    service_token, rest = unpack_text(data[_PLACE.size :])
    if offset:
        fits = (1 <= size <= service.PAGE_MAX and offset < size) or (default_size and not size)
    else:
        fits = size == 0 and last == 0
    if not fits or offset > service.PAGE_MAX:
        raise TokenError("damaged")
    return Position(service_token, size, offset, last), rest


def _pack_view(view: View) -> dict[str, Any]:
    """Only what differs from the default view: a few bytes at most (max_items has a byte of its own)."""
    packed: dict[str, Any] = {}
    if view.detail != View.detail:
        packed["d"] = view.detail
    if view.fields:
        packed["o"] = list(view.fields)
    return packed


def _unpack_view(packed: dict[str, Any], max_items: int) -> View:
    fields = packed.get("o")
    return View(packed.get("d", View.detail), tuple(fields) if fields else None, max_items)


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    squeezed = packer.compress(data) + packer.flush()
    return b"\x01" + squeezed if len(squeezed) < len(data) else b"\x00" + data


def _inflate(data: bytes, limit: int) -> bytes:
    """At most `limit` bytes: a small token cannot unfold into a large query."""
    if data[:1] == b"\x00":
        return data[1:]
    if data[:1] != b"\x01":
        raise TokenError("damaged")
    unpacker = zlib.decompressobj(-15)
    inflated = unpacker.decompress(data[1:], limit)
    if unpacker.unconsumed_tail or not unpacker.eof:
        raise TokenError("damaged")
    return inflated


def encode(secret: bytes, datastore_id: str, query: Query, position: Position, view: View) -> str:
    payload = pack_query(query) | _pack_view(view)
    rest = _deflate(json.dumps(payload, separators=(",", ":")).encode())
    body = pack_id(datastore_id) + bytes([view.max_items]) + _pack_position(position) + rest
    return TokenSigner(secret).issue(TOOL_SEARCH, body)


QUERY_MAX = 8192  # bytes of a decoded query: more than any fresh call's arguments make


def decode(secret: bytes, token: str) -> tuple[str, Query, Position, View]:
    """(datastore id, query, position, view) of a token this secret signed; SearchError for anything else. The
    query and view are only well-formed here: `tools.search` checks them as a fresh call's."""
    if not token.strip():
        raise SearchError(EMPTY)
    try:
        body = TokenSigner(secret).read(TOOL_SEARCH, token.strip())
        datastore_id, max_items = unpack_id(body[:ID_BYTES]), body[ID_BYTES]
        position, rest = _unpack_position(body[ID_BYTES + 1 :], default_size=False)
        payload = json.loads(_inflate(rest, QUERY_MAX))
        return datastore_id, _unpack_query(payload), position, _unpack_view(payload, max_items)
    except (TokenError, zlib.error, struct.error, ValueError, KeyError, TypeError, IndexError, AttributeError,
            OverflowError, OSError, RecursionError):  # fmt: skip
        raise SearchError(INVALID) from None


def encode_resume(secret: bytes, scope: str, position: Position) -> str:
    """The command's NextToken: where the walk stands, bound to `scope` (the datastore and exact criteria)."""
    return TokenSigner(secret).issue(CLI_RESUME, _pack_position(position), scope)


def resume_shaped(token: str) -> bool:
    """Whether `token` could be a command token at all (checked before a datastore, hence the secret, is at hand)."""
    try:
        raw = from_b64url(token)
    except TokenError:
        return False
    return len(raw) >= 1 + SCOPE_BYTES + _PLACE.size + 1 + MAC_BYTES and raw[0] == CLI_RESUME


def decode_resume(secret: bytes, scope: str, token: str) -> Position:
    """The position a command token records; TokenError if it is not whole, not ours, or of another search."""
    position, rest = _unpack_position(TokenSigner(secret).read(CLI_RESUME, token, scope), default_size=True)
    if rest:
        raise TokenError("damaged")
    return position
