"""When botocore refuses a request's parameters before sending it, answer in the service's words, not botocore's.

botocore checks a few rules client-side (types, required keys, minimum lengths, one key per union value) and raises
ParamValidationError in its own wording, which repeats the offending values (patient data, possibly). The service,
and the local datastore that mirrors it, would have refused the same request with an AWS-style message that names
the field instead. Running the local datastore's rules on the same parameters gives that message, so both backends
fail alike for the same input; only if those rules pass (botocore is stricter) does botocore's report stand.
"""

from typing import Any

from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.criteria import parse_criteria
from imageset_search.datastores.validation import check_int_range, check_token_text, invalid

ID_PATTERN_TEXT = "[0-9a-z]{32}"
PAGE_LIMIT = 50


def service_rule_error(params: dict[str, Any]) -> ValidationException | None:
    """The first broken rule among these boto3 parameters, in the order the local store checks them, or None."""
    try:
        for name in ("datastoreId", "imageSetId"):
            if name in params:
                _check_id(name, params[name])
        if "searchCriteria" in params:
            parse_criteria(params["searchCriteria"])
        if "maxResults" in params:
            check_int_range("maxResults", params["maxResults"], 1, PAGE_LIMIT)
        if "nextToken" in params:
            check_token_text("nextToken", params["nextToken"])
    except ValidationException as exc:
        return exc
    return None


def _check_id(name: str, value: Any) -> None:
    """The store's id rule (32 characters [0-9a-z]); the value is shown only when it is a string, as the store does."""
    if isinstance(value, str) and len(value) == 32 and value.isascii() and value.isalnum() and value == value.lower():
        return
    shown = value if isinstance(value, str) else None
    raise invalid(name, f"Member must satisfy regular expression pattern: {ID_PATTERN_TEXT}", shown=shown)
