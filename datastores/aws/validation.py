"""When botocore refuses a request's parameters before sending it, answer in the service's words, not botocore's.

botocore checks a few rules client-side (types, required keys, minimum lengths, one key per union value) and raises
ParamValidationError in its own wording, which repeats the offending values (patient data, possibly). The service,
and the local datastore that mirrors it, would have refused the same request with an AWS-style message that names
the field instead. Running the local datastore's rules on the same parameters gives that message, so both backends
fail alike for the same input; only if those rules pass (botocore is stricter) does botocore's report stand.
"""

from typing import Any

from imageset_search.datastores.criteria import parse_criteria
from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.validation import check_id, check_page_size, check_token_text


def service_rule_error(params: dict[str, Any]) -> ValidationException | None:
    """The first broken rule among these boto3 parameters, in the order the local store checks them, or None."""
    try:
        for name in ("datastoreId", "imageSetId"):
            if name in params:
                check_id(name, params[name])
        if "searchCriteria" in params:
            parse_criteria(params["searchCriteria"])
        if "maxResults" in params:
            check_page_size("maxResults", params["maxResults"])
        if "nextToken" in params:
            check_token_text("nextToken", params["nextToken"])
    except ValidationException as exc:
        return exc
    return None
