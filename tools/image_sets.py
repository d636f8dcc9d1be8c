"""get_image_set and list_image_set_versions: one image set's properties, and the history of its versions.

A search result's `image_set_id` and `datastore_id` feed these directly. Both are thin: the datastore's answer
(GetImageSet / ListImageSetVersions, boto3's shapes) is retold with plain names, ISO-8601 UTC timestamps and empty
fields dropped. The version list pages with the datastore's own nextToken, so it works the same on AWS and locally.

The argument types they share with the other tools live in `tools.arguments`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.arguments import (
    DatastoreIdArg,
    ImageSetIdArg,
    NextTokenArg,
    PageSizeArg,
    ToolArguments,
    VersionArg,
    version_id,
)
from imageset_search.tools.choice import choose_datastore
from imageset_search.tools.errors import SearchError
from imageset_search.tools.settings import Settings
from imageset_search.tools.spec import ToolResult, ToolSpec
from imageset_search.tools.summaries import iso

@contextmanager
def datastore_token(next_token: str | None, tool: str) -> Iterator[None]:
    """A datastore's refusal of a passed-through next_token, told in this tool's words.

    Every other argument of the listing tools is checked before the call, so when a token was sent, a
    ValidationException can only be about it; the datastore's own message would name nextToken, not next_token.
    """
    try:
        yield
    except ValidationException:
        if next_token is None:
            raise
        raise SearchError(
            "next_token is not one this datastore issued for this list (damaged, cut short, or from another call): "
            f"send the next_token of the previous {tool} result unchanged, or leave it out to start at the beginning"
        ) from None


def _workflow_status(properties: dict[str, Any]) -> str | None:
    """GetImageSet spells the key imageSetWorkflowStatus, ListImageSetVersions ImageSetWorkflowStatus."""
    return properties.get("imageSetWorkflowStatus") or properties.get("ImageSetWorkflowStatus")


def _forced(properties: dict[str, Any]) -> bool | None:
    return (properties.get("overrides") or {}).get("forced")


# --- get_image_set -------------------------------------------------------------------------------------------------


class GetImageSetArgs(ToolArguments):
    """Arguments of get_image_set."""

    datastore_id: DatastoreIdArg = None
    image_set_id: ImageSetIdArg
    version: VersionArg = None


class ImageSetInfo(ToolResult):
    datastore_id: str
    image_set_id: str
    version: int
    state: str | None = Field(None, description="ACTIVE, LOCKED or DELETED")
    workflow_status: str | None = Field(None, description="e.g. IMPORTED, UPDATED")
    is_primary: bool | None = Field(None, description="false: holds conflicting instances")
    created_at: str | None = None
    updated_at: str | None = None
    last_accessed_at: str | None = None
    deleted_at: str | None = None
    storage_tier: str | None = None
    forced: bool | None = Field(None, description="made with overrides.forced")
    message: str | None = None


def get_image_set(datastore: Datastore, args: GetImageSetArgs, settings: Settings) -> ImageSetInfo:
    datastore_id = choose_datastore(datastore, args.datastore_id, settings.default_datastore_id)
    found = datastore.get_image_set(datastore_id, args.image_set_id, version_id(args.version))
    return ImageSetInfo(
        datastore_id=datastore_id,
        image_set_id=found["imageSetId"],
        version=int(found["versionId"]),
        state=found.get("imageSetState"),
        workflow_status=_workflow_status(found),
        is_primary=found.get("isPrimary"),
        created_at=iso(found.get("createdAt")),
        updated_at=iso(found.get("updatedAt")),
        last_accessed_at=iso(found.get("lastAccessedAt")),
        deleted_at=iso(found.get("deletedAt")),
        storage_tier=found.get("storageTier"),
        forced=_forced(found),
        message=found.get("message"),
    )


def _kind(is_primary: bool | None) -> str:
    return {True: "primary", False: "non-primary (conflicting instances)"}.get(is_primary, "primary unknown")


def image_set_text(result: ImageSetInfo) -> str:
    lines = [
        f"Image set {result.image_set_id} in datastore {result.datastore_id}: version {result.version}, "
        f"{result.state or 'state unknown'}, {result.workflow_status or 'workflow status unknown'}, "
        f"{_kind(result.is_primary)}."
    ]
    if result.message:
        lines.append(f"Datastore message: {result.message}")
    lines.append(
        "Next: get_image_set_metadata with this image_set_id for patient, study, series and instances; "
        "list_image_set_versions for its other versions."
    )
    return "\n".join(lines)


# --- list_image_set_versions ---------------------------------------------------------------------------------------


class ListVersionsArgs(ToolArguments):
    """Arguments of list_image_set_versions."""

    datastore_id: DatastoreIdArg = None
    image_set_id: ImageSetIdArg
    max_items: PageSizeArg = Field(10, description="Versions per call")
    next_token: NextTokenArg = Field(
        None,
        description="From a previous result, with the same image_set_id: continues the list",
    )


class VersionBrief(BaseModel):
    version: int
    state: str | None = None
    workflow_status: str | None = None
    updated_at: str | None = Field(None, description="when made")
    deleted_at: str | None = None
    forced: bool | None = None
    message: str | None = None


class ImageSetVersions(ToolResult):
    datastore_id: str
    image_set_id: str
    is_primary: bool | None = None
    created_at: str | None = None
    count: int
    versions: list[VersionBrief]
    has_more: bool = Field(description="true: call again with next_token for more")
    next_token: str | None = Field(None, description="send it with the same image_set_id")


def _version_brief(properties: dict[str, Any]) -> VersionBrief:
    return VersionBrief(
        version=int(properties["versionId"]),
        state=properties.get("imageSetState"),
        workflow_status=_workflow_status(properties),
        updated_at=iso(properties.get("updatedAt")),
        deleted_at=iso(properties.get("deletedAt")),
        forced=_forced(properties),
        message=properties.get("message"),
    )


def list_image_set_versions(datastore: Datastore, args: ListVersionsArgs, settings: Settings) -> ImageSetVersions:
    """One page of versions; image-set-wide fields (isPrimary, createdAt) are said once, not on every version."""
    datastore_id = choose_datastore(datastore, args.datastore_id, settings.default_datastore_id)
    with datastore_token(args.next_token, "list_image_set_versions"):
        page = datastore.list_image_set_versions(
            datastore_id, args.image_set_id, max_results=args.max_items, next_token=args.next_token
        )
    listed = page.get("imageSetPropertiesList") or []
    first = listed[0] if listed else {}
    return ImageSetVersions(
        datastore_id=datastore_id,
        image_set_id=args.image_set_id,
        is_primary=first.get("isPrimary"),
        created_at=iso(first.get("createdAt")),
        count=len(listed),
        versions=[_version_brief(properties) for properties in listed],
        has_more=bool(page.get("nextToken")),
        next_token=page.get("nextToken") or None,
    )


def versions_text(result: ImageSetVersions) -> str:
    numbers = ", ".join(str(brief.version) for brief in result.versions) or "none"
    lines = [f"Image set {result.image_set_id} in datastore {result.datastore_id}. Versions listed: {numbers}."]
    if result.has_more:
        lines.append("More remain: call list_image_set_versions again with the same image_set_id and next_token.")
    else:
        lines.append("That is all its versions.")
    lines.append("Pass version to get_image_set or get_image_set_metadata to read one of them.")
    return "\n".join(lines)


GET_IMAGE_SET = ToolSpec(
    name="get_image_set",
    title="Get an image set",
    description=(
        "One image set's properties: state, workflow status, version, primary or not, when created and updated "
        "(ISO-8601 UTC). Pass an image_set_id from search_image_sets; version reads an earlier one. Read-only."
    ),
    arguments=GetImageSetArgs,
    result=ImageSetInfo,
    run=get_image_set,
    text=image_set_text,
)

LIST_IMAGE_SET_VERSIONS = ToolSpec(
    name="list_image_set_versions",
    title="List an image set's versions",
    description=(
        "An image set's versions (one per import that changed it): number, state, workflow status, when made. "
        "When has_more is true, call again with the same image_set_id and next_token. Read-only."
    ),
    arguments=ListVersionsArgs,
    result=ImageSetVersions,
    run=list_image_set_versions,
    text=versions_text,
)
