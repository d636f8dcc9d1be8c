"""list_datastores: which datastores there are, so a model can pick the datastore_id the other tools take.

Each entry gives id, name, status and the created/updated instants (ISO-8601 UTC). The image set count is given
only where the datastore can tell it cheaply, that is when the datastore object has a method
`count_image_sets(datastore_id) -> int` (a local store may offer one; AWS has no such call, and counting there
would mean paging a whole search), so a count is never guessed.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from imageset_search.datastores.healthimaging import DATASTORE_STATUSES, PAGE_MAX
from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.arguments import NextTokenArg, PageSizeArg, ToolArguments
from imageset_search.tools.choice import implied_datastore
from imageset_search.tools.image_sets import datastore_token
from imageset_search.tools.settings import Settings
from imageset_search.tools.spec import ToolResult, ToolSpec
from imageset_search.tools.summaries import iso

RESOURCE_PAGES = 10  # the datastores resource lists at most this many pages of 50


class ListDatastoresArgs(ToolArguments):
    """Arguments of list_datastores."""

    status: Literal[DATASTORE_STATUSES] | None = Field(  # type: ignore[valid-type]
        None, description="Only datastores in this state; omit for all"
    )
    max_items: PageSizeArg = Field(50, description="Datastores per call")
    next_token: NextTokenArg = Field(None, description="From a previous result: continues the list")


class DatastoreBrief(BaseModel):
    datastore_id: str
    name: str | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    image_set_count: int | None = None


class DatastoreListing(ToolResult):
    count: int
    datastores: list[DatastoreBrief]
    default_datastore_id: str | None = Field(None, description="used when a call names no datastore_id")
    has_more: bool = Field(description="true: call again with next_token for more")
    next_token: str | None = None


def _count(datastore: Datastore, summary: dict[str, Any]) -> int | None:
    counter = getattr(datastore, "count_image_sets", None)
    if not callable(counter) or summary.get("datastoreStatus") != "ACTIVE":
        return None
    return counter(summary["datastoreId"])


def _brief(datastore: Datastore, summary: dict[str, Any]) -> DatastoreBrief:
    return DatastoreBrief(
        datastore_id=summary["datastoreId"],
        name=summary.get("datastoreName"),
        status=summary.get("datastoreStatus"),
        created_at=iso(summary.get("createdAt")),
        updated_at=iso(summary.get("updatedAt")),
        image_set_count=_count(datastore, summary),
    )


def _default(found: list[DatastoreBrief], settings: Settings, complete: bool) -> str | None:
    """What choose_datastore would pick for a call without datastore_id, when this listing shows every datastore."""
    active = [brief.datastore_id for brief in found if brief.status == "ACTIVE"]
    return implied_datastore(settings.default_datastore_id, active if complete else [])


def list_datastores(datastore: Datastore, args: ListDatastoresArgs, settings: Settings) -> DatastoreListing:
    with datastore_token(args.next_token, "list_datastores"):
        page = datastore.list_datastores(
            datastore_status=args.status, max_results=args.max_items, next_token=args.next_token
        )
    found = [_brief(datastore, summary) for summary in page.get("datastoreSummaries") or []]
    token = page.get("nextToken") or None
    whole = token is None and args.next_token is None and args.status in (None, "ACTIVE")
    return DatastoreListing(
        count=len(found),
        datastores=found,
        default_datastore_id=_default(found, settings, whole),
        has_more=token is not None,
        next_token=token,
    )


def datastore_listing(datastore: Datastore, settings: Settings) -> dict[str, Any]:
    """Every datastore (up to 500), as the resource imageset://datastores serves it."""
    found: list[DatastoreBrief] = []
    token = None
    for _ in range(RESOURCE_PAGES):
        page = datastore.list_datastores(max_results=PAGE_MAX, next_token=token)
        found += [_brief(datastore, summary) for summary in page.get("datastoreSummaries") or []]
        token = page.get("nextToken") or None
        if token is None:
            break
    listing = DatastoreListing(
        count=len(found),
        datastores=found,
        default_datastore_id=_default(found, settings, token is None),
        has_more=token is not None,
    )
    return listing.compact()


def listing_text(result: DatastoreListing) -> str:
    active = sum(1 for brief in result.datastores if brief.status == "ACTIVE")
    lines = [f"Datastores listed: {result.count}, of which ACTIVE: {active}."]
    if result.default_datastore_id:
        lines.append(f"Calls that name no datastore_id use {result.default_datastore_id}.")
    elif active > 1:
        lines.append("Pass datastore_id to the other tools: there is no default and several exist.")
    if result.has_more:
        lines.append("More remain: call list_datastores again with next_token.")
    lines.append("Next: search_image_sets with a datastore_id from this list.")
    return "\n".join(lines)


LIST_DATASTORES = ToolSpec(
    name="list_datastores",
    title="List datastores",
    description=(
        "The datastores: id, name, status, created and updated, and the image set count where known (local: yes, "
        "AWS: no). default_datastore_id is the one the other tools use when a call names none. When has_more is "
        "true, call again with next_token. Read-only."
    ),
    arguments=ListDatastoresArgs,
    result=DatastoreListing,
    run=list_datastores,
    text=listing_text,
)
