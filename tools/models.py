"""The search tool's arguments as strict pydantic models: the published schema and the validation are one thing.

Two shapes, never both in one call:
- flat, described fields (`patient_id`, `study_date`, `modality`, ...), which models fill in well;
- `search_criteria`, AWS's own `searchCriteria` JSON, with the filter union modelled exactly: each value is one of
  nine single-key members (a callable discriminator picks the member from the one key it holds, so a value with two
  keys gets a precise error rather than a silent first match). Loose values are allowed where the service wants exact
  ones (`"DICOMStudyDateAndTime": "last March"`); `tools.criteria` makes them exact.

Every model forbids unknown keys, so a misspelt argument is an error naming it instead of a silently broader search.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator

from imageset_search.datastores import healthimaging as service
from imageset_search.tools.arguments import STRICT, DatastoreIdArg, PageSizeArg, ToolArguments

PHRASE_MAX = 200  # a date phrase; longer text is refused before any parsing
Phrase = Annotated[str, Field(max_length=PHRASE_MAX)]
Word = Annotated[str, Field(max_length=40)]
ModalityCode = Annotated[str, Field(min_length=1, max_length=16)]  # DICOM CS values are at most 16 characters


class _Strict(BaseModel):
    model_config = STRICT


# --- AWS searchCriteria, exactly -----------------------------------------------------------------------------------


class StudyDateAndTime(_Strict):
    DICOMStudyDate: str = Field(max_length=service.STUDY_DATE_MAX_LENGTH, description="yyyyMMdd")
    DICOMStudyTime: str | None = Field(
        None, max_length=service.STUDY_TIME_MAX_LENGTH, description="HHmmss[.FFFFFF]; default 000000"
    )


LooseInstant = Annotated[
    datetime | float | Phrase,
    Field(description="ISO 8601 instant, epoch seconds, or a phrase such as 'yesterday'"),
]


class PatientIdValue(_Strict):
    DICOMPatientId: str = Field(max_length=service.VALUE_MAX_LENGTH)


class AccessionNumberValue(_Strict):
    DICOMAccessionNumber: str = Field(max_length=service.VALUE_MAX_LENGTH)


class StudyIdValue(_Strict):
    DICOMStudyId: str = Field(max_length=service.VALUE_MAX_LENGTH)


class StudyInstanceUIDValue(_Strict):
    DICOMStudyInstanceUID: str = Field(max_length=service.VALUE_MAX_LENGTH)


class SeriesInstanceUIDValue(_Strict):
    DICOMSeriesInstanceUID: str = Field(max_length=service.VALUE_MAX_LENGTH)


class CreatedAtValue(_Strict):
    createdAt: LooseInstant


class UpdatedAtValue(_Strict):
    updatedAt: LooseInstant


class StudyDateAndTimeValue(_Strict):
    DICOMStudyDateAndTime: StudyDateAndTime | Phrase = Field(
        description="{DICOMStudyDate, DICOMStudyTime?} or a phrase such as 'last March'"
    )


class IsPrimaryValue(_Strict):
    isPrimary: bool


VALUE_MEMBERS: dict[str, type[BaseModel]] = {
    "DICOMPatientId": PatientIdValue,
    "DICOMAccessionNumber": AccessionNumberValue,
    "DICOMStudyId": StudyIdValue,
    "DICOMStudyInstanceUID": StudyInstanceUIDValue,
    "DICOMSeriesInstanceUID": SeriesInstanceUIDValue,
    "createdAt": CreatedAtValue,
    "updatedAt": UpdatedAtValue,
    "DICOMStudyDateAndTime": StudyDateAndTimeValue,
    "isPrimary": IsPrimaryValue,
}


def _value_member(value: Any) -> str | None:
    """The union member a value is: the one key it holds (None, hence an error, for zero or several keys)."""
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in VALUE_MEMBERS else None
    return None


SearchValue = Annotated[
    Union[tuple(Annotated[member, Tag(key)] for key, member in VALUE_MEMBERS.items())],  # noqa: UP007
    Discriminator(
        _value_member,
        custom_error_type="union_member",
        custom_error_message="each value holds exactly one key, one of: " + ", ".join(VALUE_MEMBERS),
    ),
]


class SearchFilter(_Strict):
    values: list[SearchValue] = Field(
        min_length=1, max_length=service.VALUES_MAX, description="EQUAL: one value; BETWEEN: lower, upper"
    )
    operator: Literal[service.OPERATORS]  # type: ignore[valid-type]


class Sort(_Strict):
    sortField: Literal[service.SORT_FIELDS]  # type: ignore[valid-type]
    sortOrder: Literal[service.SORT_ORDERS]  # type: ignore[valid-type]


class SearchCriteria(_Strict):
    filters: list[SearchFilter] | None = Field(
        None, min_length=1, max_length=service.FILTERS_MAX, description="combined with AND"
    )
    sort: Sort | None = None


# --- the flat shape ------------------------------------------------------------------------------------------------


class DateRange(_Strict):
    from_: Phrase | float | None = Field(None, alias="from")
    to: Phrase | float | None = Field(None, description="inclusive")


DateInput = Annotated[
    Phrase | DateRange,
    Field(description="a phrase ('last March', '20230101-20230315') or {from, to}"),
]
InstantInput = Annotated[
    Phrase | float | DateRange,
    Field(description="a phrase ('yesterday'), ISO 8601 instant, epoch seconds or {from, to}"),
]
SUMMARY_FIELDS = (
    "patient_id", "patient_name", "patient_sex", "patient_birth_date", "study_instance_uid", "study_id",
    "study_date", "study_time", "study_description", "accession_number", "series_count", "instance_count",
    "image_set_id", "series_instance_uid", "modality", "body_part", "series_number", "is_primary", "version",
    "created_at", "updated_at",
)  # fmt: skip
ID_FIELDS = ("patient_id", "accession_number", "study_id", "study_instance_uid", "series_instance_uid")
DATE_FIELDS = ("study_date", "created", "updated")
REFINEMENT_FIELDS = ("modality", "body_part", "patient_name", "study_description", "patient_sex", "patient_birth_date")
CRITERIA_FIELDS = ID_FIELDS + DATE_FIELDS + ("is_primary",) + REFINEMENT_FIELDS


class SearchArgs(ToolArguments):
    """Arguments of search_image_sets."""

    datastore_id: DatastoreIdArg = None
    patient_id: str | None = Field(None, max_length=service.VALUE_MAX_LENGTH, description="DICOM PatientID")
    accession_number: str | None = Field(None, max_length=service.VALUE_MAX_LENGTH, description="DICOM AccessionNumber")
    study_id: str | None = Field(None, max_length=service.VALUE_MAX_LENGTH, description="DICOM StudyID")
    study_instance_uid: str | None = Field(None, max_length=service.VALUE_MAX_LENGTH, description="digits and dots")
    series_instance_uid: str | None = Field(None, max_length=service.VALUE_MAX_LENGTH, description="digits and dots")
    study_date: DateInput | None = Field(None, description="DICOM StudyDate")
    created: InstantInput | None = Field(None, description="When the image set was created")
    updated: InstantInput | None = Field(None, description="When the image set was last updated")
    is_primary: bool | None = Field(None, description="false: non-primary image sets only")
    modality: ModalityCode | list[ModalityCode] | None = Field(None, description="e.g. CT, or [CT, PT]")
    body_part: str | None = Field(None, max_length=128, description="e.g. CHEST, any case")
    patient_name: str | None = Field(
        None, max_length=service.VALUE_MAX_LENGTH, description="words in any order and case"
    )
    study_description: str | None = Field(
        None, max_length=service.VALUE_MAX_LENGTH, description="text it contains, any case"
    )
    patient_sex: Literal["F", "M", "O"] | None = None
    patient_birth_date: DateInput | None = Field(None, description="e.g. '1920s'")
    search_criteria: SearchCriteria | None = Field(None, description="AWS's searchCriteria JSON, not with flat fields")
    sort_by: Word | None = Field(
        None, description="default updated", json_schema_extra={"enum": ["updated", "created", "study_date"]}
    )
    sort_order: Word | None = Field(None, description="default DESC", json_schema_extra={"enum": ["ASC", "DESC"]})
    max_items: PageSizeArg | None = Field(None, description="image sets per call (default 25)")
    next_token: str | None = Field(  # an empty one gets the token codec's own error, not pydantic's
        None, max_length=service.TOKEN_MAX_LENGTH, description="from a previous result: continues that search"
    )
    detail: Literal["summary", "full"] | None = Field(
        None,
        description="summary (default): grouped by study; full: AWS's ImageSetsMetadataSummary",
    )
    fields: list[Literal[SUMMARY_FIELDS]] | None = Field(  # type: ignore[valid-type]
        None, max_length=len(SUMMARY_FIELDS), description="detail=summary: only these fields"
    )

    @model_validator(mode="after")
    def _one_shape(self) -> "SearchArgs":
        flat = [name for name in CRITERIA_FIELDS if getattr(self, name) is not None]
        if self.search_criteria is not None and flat:
            raise ValueError(
                f"send either search_criteria or the flat fields, not both (got search_criteria and {', '.join(flat)})"
            )
        if isinstance(self.modality, list) and not 1 <= len(self.modality) <= 16:
            raise ValueError("modality takes one code or a list of 1 to 16 codes")
        return self

    def criteria_fields(self) -> dict[str, Any]:
        """The flat criteria given, in the order the planner considers them."""
        return {name: getattr(self, name) for name in CRITERIA_FIELDS if getattr(self, name) is not None}
