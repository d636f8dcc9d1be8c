"""Errors the caller can fix, and pydantic's validation errors retold without the values that were sent.

The tool layer raises `SearchError`; the server turns it into an MCP ToolError. Messages name fields and rules but
never echo values: a rejected value may be a patient ID or name, and error texts reach both the model and logs.
"""

from pydantic import ValidationError

from imageset_search.tools.models import VALUE_MEMBERS


class SearchError(ValueError):
    """A request the caller can correct; the message says what was wrong and what to send instead."""


_HINTS = {
    "extra_forbidden": "is not an argument here",
    "missing": "is required",
    "union_member": "each value holds exactly one key, one of: " + ", ".join(VALUE_MEMBERS),
}


_COUNTS = {
    "filters": "one or two filters (they are AND-ed); omit filters to match every image set, or give more criteria "
    "as flat fields, where the ones beyond two are checked by this server",
    "values": "EQUAL takes one value and BETWEEN two (lower, then upper)",
}


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-")) or "the arguments"


def _describe(error: dict) -> str:
    where = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden" and len(error["loc"]) == 1:
        return f"unknown argument '{error['loc'][0]}' (check its spelling against the tool's input schema)"
    if kind == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}' at {_location(error['loc'][:-1])}: it {_HINTS[kind]}"
    if kind in _HINTS:
        return f"{where}: {_HINTS[kind]}"
    if kind in ("too_long", "too_short") and error["loc"][-1] in _COUNTS:
        return f"{where}: {_COUNTS[error['loc'][-1]]}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def describe_validation_error(exc: ValidationError, what: str = "arguments") -> str:
    """One actionable sentence per problem, at most five, with the locations but not the values."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        text = _describe(error)
        if text not in problems:
            problems.append(text)
    shown = problems[:5]
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"Invalid {what}: " + "; ".join(shown) + more + "."


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
