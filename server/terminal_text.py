"""Text for a terminal: characters that are not shown but act (control, format, line separators) written escaped.

Values come from DICOM files anyone can write; an escape sequence or a bidirectional override printed as it is
would move the cursor, recolour the screen or reorder what a person reads. JSON output escapes control characters
itself; text and table output go through `printable` first.
"""

import unicodedata
from typing import Any

_ACTING = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # control, format, surrogate, line and paragraph separators


def printable(value: Any) -> Any:
    """`value` with every string in it (nested in lists and dicts too) made safe to print: each acting character
    becomes its Python escape (`\\x1b`, `\\u202e`); other values are returned as they are."""
    if isinstance(value, str):
        return value if value.isprintable() else "".join(_shown(char) for char in value)
    if isinstance(value, dict):
        return {printable(key): printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable(item) for item in value]
    return value


def _shown(char: str) -> str:
    if unicodedata.category(char) in _ACTING:
        return char.encode("unicode_escape").decode("ascii")
    return char
