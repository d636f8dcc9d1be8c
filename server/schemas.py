"""The JSON schemas the tool list publishes, lean: every conversation pays for the tool list in its context.

pydantic's schemas are written for code generators: a title on every property and model, `anyOf [X, null]` plus
`default: null` for every optional argument, unions nested inside unions. A model needs none of that to fill in the
arguments, and the server's own pydantic validation stays the authority (unknown keys, limits, the typed
`search_criteria` union). So the published schema keeps the types, enums, limits, patterns, required lists,
`additionalProperties: false`, non-null defaults and descriptions, and drops the rest:
- titles, and `additionalProperties: true` (the default);
- `null` as an alternative of an optional property, and its `default: null` (leaving a property out means the same);
- an `anyOf` nested directly in another (flattened), and a one-member `anyOf` (unwrapped).
"""

from typing import Any

from pydantic import BaseModel

SCHEMA_MAPS = ("properties", "$defs")  # keys whose values map names to schemas
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties", "not")


def _is_null(schema: Any) -> bool:
    return schema == {"type": "null"}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional property's schema without its null alternative and null default."""
    if schema.get("default", ...) is not None:
        return schema
    members = schema.get("anyOf")
    if not isinstance(members, list) or not any(_is_null(member) for member in members):
        return schema
    kept = [member for member in members if not _is_null(member)]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return rest | {"anyOf": kept}


def _flattened(members: list[Any]) -> list[Any]:
    """anyOf members, with bare nested anyOfs (no keywords of their own) spliced in."""
    found = []
    for member in members:
        if isinstance(member, dict) and set(member) == {"anyOf"}:
            found += _flattened(member["anyOf"])
        else:
            found.append(member)
    return found


def _descriptions(outer: dict[str, Any], inner: dict[str, Any]) -> dict[str, Any]:
    """Both descriptions of an unwrapped member: what the property means, then what it takes."""
    said = [text for text in (outer.get("description"), inner.get("description")) if text]
    return {"description": ". ".join(said)} if said else {}


def _lean(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    schema = _without_null(schema)
    lean: dict[str, Any] = {}
    for key, value in schema.items():
        if (key == "title" and isinstance(value, str)) or (key == "additionalProperties" and value is True):
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            lean[key] = {name: _lean(item) for name, item in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            lean[key] = [_lean(item) for item in value]
        elif key in SCHEMA_VALUES:
            lean[key] = _lean(value)
        else:
            lean[key] = value
    if "anyOf" in lean:
        lean["anyOf"] = _flattened(lean["anyOf"])
        if len(lean["anyOf"]) == 1:
            (only,) = lean.pop("anyOf")
            lean = only | lean | _descriptions(lean, only)  # the outer limits win over the member's
    return lean


def published_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema (by alias, as the wire spells it) as the tool list publishes it. The model's docstring
    (the root description) goes too: the tool's own description says what the arguments and the result are."""
    schema = _lean(model.model_json_schema(by_alias=True))
    schema.pop("description", None)
    return schema
