"""What `search-image-sets` is asked to search: its parameters gathered as the AWS CLI gathers them, made exact.

Each parameter comes from its option, else from `--cli-input-json`, else from its environment variable. Loose
values inside the criteria ("last March", "yesterday") are made exact by the tools' normalizer in the `--timezone`
zone, which also says in plain words what each filter searches.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imageset_search.datastores.errors import ValidationException
from imageset_search.server.errors import CommandError
from imageset_search.server.aws_cli.params import load_cli_input, load_json_object, setting

INPUT_KEYS = ("datastoreId", "searchCriteria", "maxResults", "nextToken")
CRITERIA_EXAMPLE = '{"filters": [{"values": [{"DICOMPatientId": "..."}], "operator": "EQUAL"}]}'


@dataclass(frozen=True)
class SearchRequest:
    datastore_id: str
    criteria: dict[str, Any] | None  # exact, as the service takes it
    interpreted: list[str] = field(default_factory=list)  # the normalizer's words, one line per filter
    max_results: Any = None  # maxResults from --cli-input-json, sent as given (the service checks it)
    next_token: Any = None  # nextToken from --cli-input-json
    single_call: bool = False  # --cli-input-json carried maxResults or nextToken: one raw call, as AWS CLI v2


def read_request(args) -> SearchRequest:
    """The SearchImageSets parameters of this command line; a missing or malformed one is a CommandError."""
    document = load_cli_input(setting(args, "--cli-input-json"), INPUT_KEYS)
    datastore_id = args.datastore_id or document.get("datastoreId") or setting(args, "--datastore-id")
    if not datastore_id:
        raise CommandError(
            "the following arguments are required: --datastore-id (or datastoreId in --cli-input-json, or the "
            "IMAGESET_SEARCH_DATASTORE_ID environment variable)"
        )
    exact, interpreted = exact_criteria(raw_criteria(args, document), setting(args, "--timezone"))
    return SearchRequest(
        datastore_id=str(datastore_id).strip(),
        criteria=exact,
        interpreted=interpreted,
        max_results=document.get("maxResults"),
        next_token=document.get("nextToken"),
        single_call="maxResults" in document or "nextToken" in document,
    )


def raw_criteria(args, document: dict[str, Any]) -> dict[str, Any] | None:
    """--search-criteria, else the input JSON's searchCriteria, else IMAGESET_SEARCH_SEARCH_CRITERIA, else none."""
    if args.search_criteria is not None:
        return load_json_object("--search-criteria", args.search_criteria, CRITERIA_EXAMPLE)
    if "searchCriteria" in document:
        criteria = document["searchCriteria"]
        if criteria is None or isinstance(criteria, dict):
            return criteria
        raise CommandError(
            "Error parsing parameter '--cli-input-json': searchCriteria must be a JSON object such as "
            f"{CRITERIA_EXAMPLE}"
        )
    value = setting(args, "--search-criteria")
    return None if value is None else load_json_object("--search-criteria", value, CRITERIA_EXAMPLE)


def exact_criteria(criteria: dict[str, Any] | None, zone_name: str | None) -> tuple[dict[str, Any] | None, list[str]]:
    """Loose values made exact by the tools' normalizer, and its plain words for each filter.

    The normalizer checks what the service checks, so what it refuses is reported as the service's
    ValidationException (exit 254), the same line and code the datastore gives for what reaches it.
    """
    from imageset_search.tools.criteria import normalize_search_criteria

    zone = time_zone(zone_name)
    if criteria is None:
        return None, []
    now = datetime.now(zone)
    try:
        return normalize_search_criteria(criteria, today=now.date(), tz=zone, now=now)
    except ValueError as exc:
        raise ValidationException(plain_reason(exc)) from None


def time_zone(name: str | None):
    """The zone "today" is read in (server.config's rule); an unknown name is a bad parameter."""
    from imageset_search.server.config import timezone

    try:
        return timezone(name)
    except ValueError as exc:
        raise CommandError(f"Bad value for --timezone: {exc}") from None


def plain_reason(exc: ValueError) -> str:
    """A validation failure as one line naming the fields, without the input values (they may be patient data)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return " ".join(str(exc).split())
    parts = []
    for error in errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error.get("loc", ())) or "searchCriteria"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)
