"""The one paginator: pull service pages until a caller has what it wants, and remember exactly where it stopped.

Both the search tool and the search-image-sets command walk pages through `collect`. A position is (the service
token of the page being read, that page's size, how many of its items were consumed, and a mark of the last one).
Resuming re-reads that same page at that same size and continues after the marked item, so no item is delivered
twice and none is skipped, whatever `max_items` or page size the next call asks for: the flaw of botocore's own
resume tokens, which re-read the page at the new size. The mark also finds the place when the page shifted in
between, and refuses a token whose item is not on the page (another datastore file with the same id). A page fully
consumed moves the position to the next page at offset 0, where any size may follow. Client-side matching stops at a
scan budget per call and hands back a position that resumes the scan.
"""

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from imageset_search.datastores.errors import DatastoreError, InternalServerException
from imageset_search.datastores.healthimaging import PAGE_MAX
from imageset_search.tools.errors import SearchError
from imageset_search.tools.refine import Predicate, Summary
from imageset_search.tools.settings import SCAN_BUDGET

DEFAULT_SIZE = 0  # as a page size: send no maxResults, take the service's default (the AWS CLI without --page-size)
RESULT_KEY = "imageSetsMetadataSummaries"

FetchPage = Callable[[str | None, int], dict[str, Any]]


@dataclass(frozen=True)
class Position:
    service_token: str | None = None  # None: the first page
    page_size: int = 0  # mid-page: the size the page was read at (DEFAULT_SIZE: the service's); else 0
    offset: int = 0
    last: int = 0  # mid-page: a short hash of the last item consumed, to find the place again on the re-read page


def item_mark(summary: Summary) -> int:
    """A 32-bit mark of an image set id: enough to find one item again among a page's fifty."""
    return zlib.crc32(str(summary.get("imageSetId")).encode())


class PlaceLost(SearchError):
    """The item a position continues after is not on its re-read page."""


def _resume_index(items: list[Summary], position: Position) -> int:
    """Where a re-read page continues: after the item the position marks, wherever that item now stands (a page
    shifts when image sets are updated in between). Not on the page at all, the token is not for this data."""
    if not position.offset:
        return 0
    for index, summary in enumerate(items):
        if item_mark(summary) == position.last:
            return index + 1
    raise PlaceLost(
        "next_token does not fit this datastore's data any more: the image set it continues after is gone (or the "
        "token is from another datastore file). Start the search again without next_token."
    )


@dataclass
class Collected:
    pages: list[list[Summary]] = field(default_factory=list)  # what each service page read gave, in order
    first_page: dict[str, Any] = field(default_factory=dict)  # the first response read, whole
    next: Position | None = None  # None: the search is finished
    scanned: int = 0
    budget_spent: bool = False  # stopped to keep the call short, not because the results ran out
    interrupted: DatastoreError | None = None  # the service failed after some results were gathered

    @property
    def items(self) -> list[Summary]:
        return [item for page in self.pages for item in page]


def _page_size(position: Position, fixed: int | None, want: int | None, gathered: int, filtering: bool) -> int:
    """A re-read page keeps its size; a fresh one takes the caller's fixed size, else what is still wanted (full
    pages when matching here, where each page yields fewer)."""
    if position.offset:
        return position.page_size
    if fixed is not None:
        return fixed
    if filtering or want is None:
        return PAGE_MAX
    return max(1, min(PAGE_MAX, want - gathered))


def collect(
    fetch: FetchPage,
    start: Position,
    want: int | None,
    matches: Predicate | None = None,
    scan_budget: int = SCAN_BUDGET,
    page_size: int | None = None,
) -> Collected:
    """Up to `want` matching summaries (None: all) from `start` on, in service order. `page_size` fixes the size of
    every page not read before (DEFAULT_SIZE: the service's); None lets the paginator choose."""
    out = Collected()
    position, gathered = start, 0
    while True:
        size = _page_size(position, page_size, want, gathered, matches is not None)
        try:
            page = fetch(position.service_token, size)
        except DatastoreError as exc:
            if not gathered:
                raise
            out.interrupted, out.next = exc, position
            return out
        if not out.pages:
            out.first_page = page
        items = page.get(RESULT_KEY) or []
        following = page.get("nextToken")
        kept: list[Summary] = []
        out.pages.append(kept)
        for index in range(_resume_index(items, position), len(items)):
            out.scanned += 1
            if matches is None or matches(items[index]):
                kept.append(items[index])
                gathered += 1
            if gathered == want:
                out.next = _after(position.service_token, size, items[: index + 1], len(items), following)
                return out
        if not following:
            return out
        if following == position.service_token:  # botocore's guard too: the walk would never end
            raise InternalServerException(
                "the service answered with the nextToken it was sent, so paging cannot progress; retry later"
            )
        position = Position(following)
        if matches is not None and out.scanned >= scan_budget:
            out.budget_spent, out.next = True, position
            return out


def _after(
    token: str | None, size: int, consumed: list[Summary], length: int, following: str | None
) -> Position | None:
    """The position after the `consumed` items of a page: mid-page, the next page, or the end."""
    if len(consumed) < length:
        return Position(token, size, len(consumed), item_mark(consumed[-1]))
    return Position(following) if following else None
