"""The search result as a model (it is the tool's outputSchema) and the headline its text content starts with."""

from typing import Any

from pydantic import BaseModel, Field

from imageset_search.datastores.wording import counted
from imageset_search.tools.spec import ToolResult


class ImageSetBrief(BaseModel):
    image_set_id: str
    series_instance_uid: str | None = None
    modality: str | None = None
    body_part: str | None = None
    series_number: int | None = None
    is_primary: bool | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class StudyGroup(BaseModel):
    study_instance_uid: str | None = None
    patient_id: str | None = None
    patient_name: str | None = None
    patient_sex: str | None = None
    patient_birth_date: str | None = None
    study_id: str | None = None
    study_date: str | None = None
    study_time: str | None = None
    study_description: str | None = None
    accession_number: str | None = None
    series_count: int | None = Field(None, description="in the whole study")
    instance_count: int | None = Field(None, description="in the whole study")
    image_sets: list[ImageSetBrief]


class ScanReport(BaseModel):
    scanned: int = Field(description="image sets examined here in this call")
    matched: int
    finished: bool = Field(description="false: more to scan; continue with next_token")


class SearchResult(ToolResult):
    datastore_id: str
    count: int = Field(description="image sets in this result")
    has_more: bool = Field(description="true: call again with only next_token for more")
    next_token: str | None = None
    studies: list[StudyGroup] | None = Field(None, description="detail=summary")
    image_sets: list[dict[str, Any]] | None = Field(None, description="detail=full: AWS ImageSetsMetadataSummary")
    interpreted: list[str] = Field(default_factory=list, description="how loose values were read")
    searched_by_service: list[str] = Field(default_factory=list)
    filtered_here: list[str] = Field(default_factory=list, description="criteria checked here on each result")
    scan: ScanReport | None = None
    warnings: list[str] = Field(default_factory=list)


def found_line(count: int, studies: int | None, datastore_id: str) -> str:
    """'Found 3 image sets in 2 studies in datastore X.': the tool's headline and the search command's table open
    with it."""
    grouped = f" in {counted(studies, 'study', 'studies')}" if studies is not None else ""
    return f"Found {counted(count, 'image set')}{grouped} in datastore {datastore_id}."


def text(result: SearchResult) -> str:
    """The headline above the result: the count, and how to go on (the result itself follows it in full)."""
    studies = len(result.studies) if result.studies is not None else None
    found = found_line(result.count, studies, result.datastore_id)
    if result.has_more:
        return f"{found} More remain: call search_image_sets again with only next_token (and max_items if you like)."
    return f"{found} That is all: there are no more results."
