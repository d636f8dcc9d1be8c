"""The argument types every tool shares, so each tool describes and checks a datastore id, an image set id, a
version, a page size and a next_token the same way, with the service's limits from `datastores.healthimaging`."""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from imageset_search.datastores import healthimaging as service

STRICT = ConfigDict(extra="forbid", populate_by_name=True)
VERSION_MAX = 2**31 - 1  # far above any real version, and inside what every store's integers hold


class ToolArguments(BaseModel):
    """The base of every tool's argument model: strict (an unknown key is an error naming it), and the vocabulary a
    misspelt key is compared with (tools.errors reads the names of every subclass, so it needs no catalog)."""

    model_config = STRICT


def _no_bool(value: Any) -> Any:
    """pydantic would read true as version 1; a version is a number, so a boolean is a mistake to report."""
    if isinstance(value, bool):
        raise ValueError("must be a version number such as 2, not true/false")
    return value


def _image_set_id(value: str) -> str:
    """The id trimmed (hosts sometimes pad it); pydantic's own pattern error would only quote the regex."""
    trimmed = value.strip()
    if not service.is_id(trimmed):
        raise ValueError("must be 32 lower-case letters and digits: the image_set_id of a search_image_sets result")
    return trimmed


DatastoreIdArg = Annotated[
    str | None,
    Field(
        max_length=service.VALUE_MAX_LENGTH,  # room for a pasted ARN, which choose_datastore then explains
        description="optional with one datastore or a default",
    ),
]
ImageSetIdArg = Annotated[
    str,
    AfterValidator(_image_set_id),
    Field(
        description="An image_set_id from search_image_sets",
        json_schema_extra={"pattern": f"^{service.ID_PATTERN}$"},
    ),
]
VersionArg = Annotated[
    Annotated[int, Field(ge=1, le=VERSION_MAX)] | None,
    BeforeValidator(_no_bool),
    Field(description="omit for the latest"),
]
PageSizeArg = Annotated[int, Field(ge=service.PAGE_MIN, le=service.PAGE_MAX)]  # max_items: one service page at most
NextTokenArg = Annotated[str | None, Field(min_length=1, max_length=service.TOKEN_MAX_LENGTH)]


def version_id(version: int | None) -> str | None:
    """The version as the datastore takes it (versionId is a string of digits)."""
    return None if version is None else str(version)
