"""The search tool's continuation token: the whole query plus the paginator's position, opaque and compact.

A token is enough on its own to continue (the model need not repeat the criteria), survives a server restart (it
holds no server state), and is tamper-evident: a keyed checksum over the body turns any mutation, truncation or
foreign string into a clear error instead of another query's results. Layout, base64url without padding:
version byte, deflated compact JSON, 8-byte BLAKE2b tag. Attribute names travel as one-letter codes and instants as
epoch milliseconds (the service's own precision) to keep tokens short.
"""

import base64
import binascii
import hashlib
import json
import zlib
from datetime import datetime, timezone
from typing import Any

from imageset_search.tools.criteria import Criterion, describe
from imageset_search.tools.errors import SearchError
from imageset_search.tools.paginator import Position
from imageset_search.tools.planner import Query
from imageset_search.tools.refine import Refinements

VERSION = 1
_KEY = b"imageset-search-mcp/next_token/v1"
_TAG_BYTES = 8
_ATTRIBUTES = (
    "DICOMPatientId", "DICOMAccessionNumber", "DICOMStudyId", "DICOMStudyInstanceUID", "DICOMSeriesInstanceUID",
    "createdAt", "updatedAt", "DICOMStudyDateAndTime", "isPrimary",
)  # fmt: skip
_CODES = {name: chr(ord("a") + index) for index, name in enumerate(_ATTRIBUTES)}
_NAMES = {code: name for name, code in _CODES.items()}
_OPERATORS = ("EQUAL", "BETWEEN")
_SORT_FIELDS = ("updatedAt", "createdAt", "DICOMStudyDateAndTime")
_SORT_ORDERS = ("ASC", "DESC")
_REFINEMENT_KEYS = {
    "modality": "m", "body_part": "b", "patient_name": "n", "study_description": "t", "patient_sex": "x",
    "birth_date": "y",
}  # fmt: skip

INVALID = (
    "next_token is not valid: it is damaged, truncated, or not a token this tool issued. Send the next_token of the "
    "latest result unchanged, or drop next_token to start the search again."
)


def _pack_value(attribute: str, value: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return round(moment.timestamp() * 1000)
    if attribute == "DICOMStudyDateAndTime":
        return [value["DICOMStudyDate"], value["DICOMStudyTime"]] if "DICOMStudyTime" in value else [value["DICOMStudyDate"]]
    return value


def _unpack_value(attribute: str, packed: Any) -> Any:
    if attribute in ("createdAt", "updatedAt"):
        return datetime.fromtimestamp(packed / 1000, timezone.utc)
    if attribute == "DICOMStudyDateAndTime":
        return dict(zip(("DICOMStudyDate", "DICOMStudyTime"), packed))
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
    return Criterion(attribute, search_filter, describe(attribute, search_filter))


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


def pack_query(datastore_id: str, query: Query) -> dict[str, Any]:
    """The query as compact JSON-ready data: also how two queries are compared."""
    packed: dict[str, Any] = {"d": datastore_id, "f": [_pack_criterion(c) for c in query.criteria]}
    if refinements := _pack_refinements(query.refinements):
        packed["r"] = refinements
    if query.sort:
        packed["s"] = [_SORT_FIELDS.index(query.sort["sortField"]), _SORT_ORDERS.index(query.sort["sortOrder"])]
    return packed


def _unpack_query(packed: dict[str, Any]) -> tuple[str, Query]:
    sort = None
    if "s" in packed:
        field, order = packed["s"]
        sort = {"sortField": _SORT_FIELDS[field], "sortOrder": _SORT_ORDERS[order]}
    criteria = tuple(_unpack_criterion(item) for item in packed["f"])
    return packed["d"], Query(criteria, _unpack_refinements(packed.get("r", {})), sort)


def _tag(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=_TAG_BYTES).digest()


def encode(datastore_id: str, query: Query, position: Position) -> str:
    payload = pack_query(datastore_id, query)
    payload["p"] = [position.service_token, position.page_size, position.offset]
    body = bytes([VERSION]) + zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(body + _tag(body)).rstrip(b"=").decode()


def decode(token: str) -> tuple[str, Query, Position]:
    """(datastore id, query, position) of a token this tool issued; SearchError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
    except (binascii.Error, ValueError):
        raise SearchError(INVALID) from None
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if len(raw) <= _TAG_BYTES + 1 or _tag(body) != tag:
        raise SearchError(INVALID)
    if body[0] != VERSION:
        raise SearchError(f"next_token is from another version of this tool ({body[0]}); start the search again.")
    try:
        payload = json.loads(zlib.decompress(body[1:]))
        datastore_id, query = _unpack_query(payload)
        token_, size, offset = payload["p"]
        return datastore_id, query, Position(token_, size, offset)
    except (zlib.error, ValueError, KeyError, TypeError, IndexError):
        raise SearchError(INVALID) from None
