"""The text content of every tool result: the same object as the structured content, in a denser form a model reads.

Hosts disagree on which channel reaches the model (some pass only the text, some only the structured content), so
the text carries everything the structured content does, by construction: it is rendered from that very object.
The form is indented `key: value` lines, and a list of flat objects (image sets, instances, versions) becomes one
header naming the columns and one comma-separated row per item (the layout of TOON, a notation made for model
context): the keys that JSON repeats on every item are written once. Nested objects inside such items are flattened
to dotted column names (DICOMTags.DICOMPatientId), so AWS's own summaries (detail=full) tabulate too.

A value is written bare unless that could misread: strings that are empty, start with a quote, hold a line break or
edge spaces, and, in a table row, strings holding the delimiter or a quote, are JSON-quoted.
"""

import json
from typing import Any

INDENT = "  "


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _word(value: Any, delimiter: str | None) -> str:
    """One value as written: JSON for non-strings, strings bare when they cannot be misread."""
    if not isinstance(value, str):
        return json.dumps(value)
    risky = value == "" or value != value.strip() or "\n" in value or value.startswith('"')
    if risky or (delimiter is not None and (delimiter in value or '"' in value)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """An object with nested objects as dotted keys; None when it holds a list (then it is no table row)."""
    found: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            inner = _flat(value, f"{prefix}{key}.")
            if inner is None:
                return None
            found.update(inner)
        elif _scalar(value):
            found[f"{prefix}{key}"] = value
        else:
            return None
    return found


def _table(key: str, rows: list[dict[str, Any]], pad: str) -> list[str]:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    lines = [f"{pad}{key}[{len(rows)}]{{{','.join(columns)}}}:"]
    for row in rows:
        cells = [_word(row[column], ",") if column in row else "" for column in columns]
        lines.append(pad + INDENT + ",".join(cells))
    return lines


def _list(key: str, items: list[Any], pad: str) -> list[str]:
    if not items:
        return [f"{pad}{key}[0]:"]
    if all(_scalar(item) for item in items):
        words = [_word(item, ",") for item in items]
        if all(word == str(item) or not isinstance(item, str) for word, item in zip(words, items)):
            return [f"{pad}{key}[{len(items)}]: {','.join(words)}"]
        return [f"{pad}{key}[{len(items)}]:"] + [f"{pad}- {_word(item, None)}" for item in items]
    rows = [_flat(item) if isinstance(item, dict) else None for item in items]
    if all(row is not None for row in rows):
        return _table(key, rows, pad)  # type: ignore[arg-type]
    lines = [f"{pad}{key}[{len(items)}]:"]
    for item in items:
        block = _lines(item, pad + INDENT) if isinstance(item, dict) else [pad + INDENT + _word(item, None)]
        lines.append(f"{pad}- {block[0][len(pad) + len(INDENT):]}")
        lines += block[1:]
    return lines


def _lines(value: dict[str, Any], pad: str = "") -> list[str]:
    lines: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines += [f"{pad}{key}:"] + _lines(item, pad + INDENT) if item else [f"{pad}{key}: {{}}"]
        elif isinstance(item, list):
            lines += _list(key, item, pad)
        else:
            lines.append(f"{pad}{key}: {_word(item, None)}")
    return lines


def dense(structured: dict[str, Any]) -> str:
    """The structured content as text: every key and value of it, nothing more."""
    return "\n".join(_lines(structured))
