"""Pull service pages until a call has what it wants, and remember exactly where it stopped.

A position is (the service token of the page being read, that page's size, how many of its items were consumed, and
a mark of the last one). Resuming re-reads that same page at that same size and continues after the marked item, so
no item is delivered twice and none is skipped, whatever `max_items` the next call asks for: the flaw of botocore's
own resume tokens, which re-read the page at the new size. The mark also finds the place when the page shifted in
between, and refuses a token whose item is not on the page (another datastore file with the same id). A page fully
consumed moves the position to the next page at offset 0, where any size may follow. Client-side matching stops at a
scan budget per call and hands back a position that resumes the scan.
"""

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from imageset_search.datastores.errors import DatastoreError
from imageset_search.datastores.healthimaging import PAGE_MAX
from imageset_search.tools.errors import SearchError
from imageset_search.tools.refine import Predicate, Summary
from imageset_search.tools.settings import SCAN_BUDGET


FetchPage = Callable[[str | None, int], dict[str, Any]]


@dataclass(frozen=True)
class Position:
    service_token: str | None = None  # None: the first page
    page_size: int = 0  # the size the page was read at; 0 when offset is 0 (any size may follow)
    offset: int = 0
    last: int = 0  # mid-page: a short hash of the last item consumed, to find the place again on the re-read page


def item_mark(summary: Summary) -> int:
    """A 32-bit mark of an image set id: enough to find one item again among a page's fifty."""
    return zlib.crc32(str(summary.get("imageSetId")).encode())


def _resume_index(items: list[Summary], position: Position) -> int:
    """Where a re-read page continues: after the item the position marks, wherever that item now stands (a page
    shifts when image sets are updated in between). Not on the page at all, the token is not for this data."""
    if not position.offset:
        return 0
    for index, summary in enumerate(items):
        if item_mark(summary) == position.last:
            return index + 1
    raise SearchError(
        "next_token does not fit this datastore's data any more: the image set it continues after is gone (or the "
        "token is from another datastore file). Start the search again without next_token."
    )


@dataclass
class Collected:
    items: list[Summary] = field(default_factory=list)
    next: Position | None = None  # None: the search is finished
    scanned: int = 0
    budget_spent: bool = False  # stopped to keep the call short, not because the results ran out
    interrupted: DatastoreError | None = None  # the service failed after some results were gathered


def _page_size(want: int, filtering: bool) -> int:
    return PAGE_MAX if filtering else max(1, min(PAGE_MAX, want))


def collect(
    fetch: FetchPage, start: Position, want: int, matches: Predicate | None, scan_budget: int = SCAN_BUDGET
) -> Collected:
    """Up to `want` matching summaries from `start` on, in service order."""
    out = Collected()
    position = start
    while True:
        size = position.page_size or _page_size(want - len(out.items), matches is not None)
        try:
            page = fetch(position.service_token, size)
        except DatastoreError as exc:
            if not out.items:
                raise
            out.interrupted, out.next = exc, position
            return out
        items = page.get("imageSetsMetadataSummaries") or []
        following = page.get("nextToken")
        for index in range(_resume_index(items, position), len(items)):
            out.scanned += 1
            if matches is None or matches(items[index]):
                out.items.append(items[index])
            if len(out.items) == want:
                out.next = _after(position.service_token, size, items[: index + 1], len(items), following)
                return out
        if not following:
            return out
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
