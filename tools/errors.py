"""Errors the caller can fix, and pydantic's validation errors retold without the values that were sent.

The tool layer raises `SearchError`; the server turns it into an MCP ToolError. Messages name fields and rules but
never echo values: a rejected value may be a patient ID or name, and error texts reach both the model and logs.
"""

import difflib
import functools

from pydantic import ValidationError

from imageset_search.datastores.healthimaging import SEARCH_ATTRIBUTES
from imageset_search.tools.arguments import ToolArguments


class SearchError(ValueError):
    """A request the caller can correct; the message says what was wrong and what to send instead."""


SHOWN_PROBLEMS = 5

_HINTS = {
    "missing": "is required",
    "union_member": "each value holds exactly one key, one of: " + ", ".join(SEARCH_ATTRIBUTES),
}


_COUNTS = {
    "filters": "one or two filters (they are AND-ed); omit filters to match every image set, or give more criteria "
    "as flat fields, where the ones beyond two are checked by this server",
    "values": "EQUAL takes one value and BETWEEN two (lower, then upper)",
}


def _known_keys() -> frozenset[str]:
    """Every argument and key name the tools' input schemas hold: the vocabulary a misspelt key is compared with."""
    return _names_in(tuple(ToolArguments.__subclasses__()))


@functools.cache
def _names_in(models: tuple[type[ToolArguments], ...]) -> frozenset[str]:
    found: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for model in models:
        collect(model.model_json_schema(by_alias=True))
    return frozenset(found)


def _folded(name: str) -> str:
    return name.replace("_", "").replace("-", "").casefold()


SLIP_LENGTH = 64  # longer keys are not compared with the known names: no name is that long, and difflib is slow


def _slip_on(key: str) -> str | None:
    """The known name `key` is a slip on: the same but for case and underscores (imageSetId), a near spelling
    (patient_idd), or one that holds a known name of five letters or more (datastore_status)."""
    if len(key) > SLIP_LENGTH:
        return None
    folded = {_folded(name): name for name in _known_keys()}
    wanted = _folded(key)
    if wanted in folded:
        return folded[wanted]
    close = difflib.get_close_matches(wanted, folded, n=1, cutoff=0.75)
    if close:
        return folded[close[0]]
    inside = [name for short, name in folded.items() if len(short) >= 5 and short in wanted]
    return max(inside, key=len) if inside else None


def unknown_key(key: str, where: str = "", noun: str = "argument") -> str:
    """An unknown key, named only when it is a known name but for case and underscores (imageSetId): any other
    key may hold a value put where a name belongs ("patient_id=SUBJECT08701"), so it is described by its size,
    with the known name it looks like."""
    close = _slip_on(key)
    if close and _folded(key) == _folded(close):
        return f"unknown {noun} '{key}'{where}: did you mean '{close}'?"
    if close:
        return f"an unknown {noun} of {len(key)} characters{where}, did you mean '{close}'?"
    return f"an unknown {noun} of {len(key)} characters{where}: use only the names in the tool's input schema"


def _unknown_key(loc: tuple) -> str:
    where = "" if len(loc) == 1 else f" at {_location(loc[:-1])}"
    return unknown_key(str(loc[-1]), where, "argument" if len(loc) == 1 else "key")


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-")) or "the arguments"


def _describe(error: dict) -> str:
    where = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"])
    if kind in _HINTS:
        return f"{where}: {_HINTS[kind]}"
    if kind in ("too_long", "too_short") and error["loc"][-1] in _COUNTS:
        return f"{where}: {_COUNTS[error['loc'][-1]]}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def describe_validation_error(exc: ValidationError, what: str = "arguments") -> str:
    """One actionable sentence per problem, at most five, with the locations but not the values; the rest are
    counted, not described (describing costs a name comparison each)."""
    problems: list[str] = []
    errors = exc.errors(include_url=False, include_input=False)
    read = 0
    for read, error in enumerate(errors, start=1):
        text = _describe(error)
        if text not in problems:
            problems.append(text)
        if len(problems) == SHOWN_PROBLEMS:
            break
    tail = f" (and {len(errors) - read} more)" if read < len(errors) else ""
    return f"Invalid {what}: " + "; ".join(problems) + tail + "."


_NEXT_STEP = {
    "ValidationException": "Correct the request as the datastore says and call again.",
    "ResourceNotFoundException": "Check the id; list_datastores shows the datastores, a search result the image sets.",
    "AccessDeniedException": "The credentials lack that permission: ask an administrator to grant it.",
    "UnrecognizedClientException": "Refresh the AWS credentials, then call again.",
    "ConflictException": "The image set is busy (for example still importing): call again in a little while.",
    "ThrottlingException": "The datastore is busy: wait a few seconds, then call again (with next_token to resume).",
    "ServiceUnavailableException": "The datastore could not be reached: check the endpoint or network, then retry.",
    "InternalServerException": "The datastore failed: call again in a little while.",
}


def explain(exc: Exception) -> str:
    """A datastore error in plain words, with the AWS error code kept and the next step."""
    code = getattr(exc, "code", "InternalServerException")
    step = _NEXT_STEP.get(code, _NEXT_STEP["InternalServerException"])
    return f"The datastore refused or failed ({code}): {exc} {step}"
