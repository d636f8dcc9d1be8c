"""Resumable `--max-items` / `--starting-token` paging for the command line, without botocore's re-delivery.

botocore's resume token records the service token of the page being read and how many of its items were already
printed; resuming re-reads that page at the *new* `--page-size` and drops that many, so a different page size on
resume prints items twice or skips them. This token also records the size the page was read at, and a mid-page
resume re-reads that same page at that same size, so every item is delivered exactly once whatever the page sizes.

The token is opaque (base64url of a small JSON document), versioned, checksummed against accidental edits, and
bound to one search (datastore and exact criteria): any other use is refused with a message saying what to do.
"""

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from imageset_search.datastores.errors import InternalServerException
from imageset_search.datastores.healthimaging import NON_AGGREGATE_KEYS
from imageset_search.server.errors import CommandError

log = logging.getLogger(__name__)

TOKEN_VERSION = 1
RESULT_KEY = "imageSetsMetadataSummaries"
_CHECK_SALT = b"imageset-search cli resume token"
_START_OVER = "leave --starting-token out to start from the beginning"


@dataclass(frozen=True)
class Position:
    """Where a walk stands: the service page being read (its token and size) and how many of its items are printed.

    `service_token` None is the first page; `page_size` None is the service's default; `delivered` 0 means the page
    has not been read yet, so it may be read at any size.
    """

    service_token: str | None = None
    page_size: int | None = None
    delivered: int = 0


def search_fingerprint(datastore_id: str, criteria: dict[str, Any] | None) -> str:
    """A short digest of the search a token belongs to; it says nothing about the patient data inside."""
    canonical = json.dumps([datastore_id, criteria or {}], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(_CHECK_SALT + canonical).hexdigest()[:16]


def encode_token(position: Position, fingerprint: str) -> str:
    """The printed `NextToken`: base64url, no padding, so it survives shells and URLs unquoted."""
    body = {
        "v": TOKEN_VERSION,
        "q": fingerprint,
        "t": position.service_token,
        "s": position.page_size,
        "k": position.delivered,
    }
    document = json.dumps({**body, "c": _checksum(body)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def _token_error(reason: str) -> CommandError:
    return CommandError(f"Error parsing parameter '--starting-token': {reason}")


def _read_document(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw.decode())
    except (binascii.Error, ValueError):
        document = None
    if not isinstance(document, dict) or "v" not in document:
        raise _token_error(
            "this is not a NextToken printed by imageset-search search-image-sets (tokens of the AWS CLI or of the "
            f"service do not carry over); pass the NextToken value exactly as printed, or {_START_OVER}"
        )
    return document


def decode_token(token: str, fingerprint: str) -> Position:
    """The position a token records, after checking it is whole, of this version and of this very search."""
    document = _read_document(token.strip())
    version = document.get("v")
    if version != TOKEN_VERSION:
        shown = version if isinstance(version, int) else "unknown"
        raise _token_error(
            f"the token has format version {shown} but this command reads version {TOKEN_VERSION}; {_START_OVER}"
        )
    body = {key: document.get(key) for key in ("v", "q", "t", "s", "k")}
    if document.get("c") != _checksum(body) or not _well_typed(body):
        raise _token_error(f"the token was altered or truncated; pass it exactly as printed, or {_START_OVER}")
    if body["q"] != fingerprint:
        raise _token_error(
            "the token belongs to a different search; resume with the same --datastore-id and --search-criteria "
            f"that printed it, or {_START_OVER}"
        )
    return Position(service_token=body["t"], page_size=body["s"], delivered=body["k"])


def _well_typed(body: dict[str, Any]) -> bool:
    return (
        isinstance(body["t"], str | None)
        and (body["s"] is None or (isinstance(body["s"], int) and body["s"] > 0))
        and isinstance(body["k"], int)
        and body["k"] >= 0
    )


@dataclass
class Walk:
    """What one run gathered: each page's delivered items, the first page's non-list keys, where to resume.

    Pages stay apart because the AWS CLI prints text output page by page; `first_page` holds what botocore's
    paginator keeps from the first response besides the items (`sort`, its non-aggregate key for this operation).
    """

    pages: list[list[dict[str, Any]]]
    first_page: dict[str, Any]
    resume: Position | None

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for page in self.pages for item in page]


def walk(
    datastore,
    datastore_id: str,
    criteria: dict[str, Any] | None,
    *,
    start: Position,
    page_size: int | None,
    max_items: int | None,
) -> Walk:
    """Read service pages from `start` until `max_items` are gathered (None: all), as the AWS CLI's paginator does.

    A page already partly delivered is re-read at the size it was read at; pages not yet read use `page_size`.
    """
    position = start if start.delivered else Position(start.service_token, page_size, 0)
    result = Walk(pages=[], first_page={}, resume=None)
    gathered = 0
    while True:
        page = datastore.search_image_sets(
            datastore_id, criteria, max_results=position.page_size, next_token=position.service_token
        )
        if not result.pages:
            result.first_page = {key: page[key] for key in NON_AGGREGATE_KEYS if key in page}
        fresh = page.get(RESULT_KEY, [])[position.delivered :]
        _log_page(position, len(fresh), bool(page.get("nextToken")))
        room = None if max_items is None else max_items - gathered
        if room is not None and len(fresh) > room:
            result.pages.append(fresh[:room])
            result.resume = Position(position.service_token, position.page_size, position.delivered + room)
            return result
        result.pages.append(fresh)
        gathered += len(fresh)
        service_token = page.get("nextToken")
        if not service_token:
            return result
        if service_token == position.service_token:  # botocore's guard too: the walk would never end
            raise InternalServerException(
                "the service answered with the nextToken it was sent, so paging cannot progress; "
                "retry later, or use --no-paginate to see the raw page"
            )
        position = Position(service_token, page_size, 0)
        if room is not None and len(fresh) == room:
            result.resume = position
            return result


def _log_page(position: Position, fresh: int, more: bool) -> None:
    log.debug(
        "SearchImageSets page: maxResults %s, %s, %d new summaries, more pages: %s",
        position.page_size or "default",
        "resumed from a service token" if position.service_token else "first page",
        fresh,
        more,
    )
