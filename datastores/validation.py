"""AWS-style validation errors that never echo patient data.

AWS words a rejected request as "1 validation error detected: Value 'x' at 'path' failed to satisfy constraint: ...".
Most values a search carries are patient data (IDs, UIDs, dates), so callers pass `shown=` only for values that are
safe to repeat (operators, sort fields, numbers); otherwise the message names the value by its field instead.
Only plain strings and numbers are ever repeated, never a structure that could hold anything.
"""

from typing import Any

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores.errors import ValidationException


def invalid(path: str, constraint: str, shown: Any = None, name: str | None = None) -> ValidationException:
    """Build the exception for one broken rule at `path`; `constraint` says what is allowed instead."""
    if isinstance(shown, (str, int, float)):
        subject = f"Value {short(shown)!r}"
    elif name:
        subject = f"The {name} value"
    else:
        subject = "Value"
    return ValidationException(
        f"1 validation error detected: {subject} at '{path}' failed to satisfy constraint: {constraint}"
    )


def short(value: Any) -> str:
    """Repeat at most 40 characters of a safe value, so a huge input does not become a huge message."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_int_range(path: str, value: Any, low: int, high: int) -> int:
    """An integer in [low, high] (booleans are not integers here, as in JSON)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, f"Member must be an integer between {low} and {high}")
    if not low <= value <= high:
        raise invalid(path, f"Member must have value between {low} and {high}, inclusive", shown=value)
    return value


def check_page_size(path: str, value: Any) -> int:
    """maxResults as every paginated operation takes it."""
    return check_int_range(path, value, service.PAGE_MIN, service.PAGE_MAX)


def check_token_text(path: str, value: Any) -> str:
    """A nextToken as the model allows it: 1 to 8192 ASCII characters (its content is checked by whoever reads it)."""
    if not isinstance(value, str) or not 1 <= len(value) <= service.TOKEN_MAX_LENGTH or not value.isascii():
        raise invalid(
            path,
            f"Member must be a string of 1 to {service.TOKEN_MAX_LENGTH} ASCII characters, "
            "as returned by the previous page",
        )
    return value


def check_id(path: str, value: Any) -> str:
    """A datastoreId or imageSetId; the value is repeated only when it is a string (an id is no patient data)."""
    if not service.is_id(value):
        shown = value if isinstance(value, str) else None
        raise invalid(path, f"Member must satisfy regular expression pattern: {service.ID_PATTERN}", shown=shown)
    return value
