"""get_image_set_metadata: the GetImageSetMetadata document of one image set, summarized for a model's context.

The document (gzip JSON from the datastore, `{Patient, Study: {Series: {uid: {Instances: {uid: ...}}}}}`) can run
to megabytes for a big series, while one MCP message is capped at 1 MiB and hosts warn at about 10k tokens. So the
result holds the patient, study and series essentials, instance counts, the DICOM attributes asked for, and (only
on request) a page of instances: at most `max_instances`, fewer when they would not fit a character budget, with
`has_more` and `next_instance_offset` to continue. Values too long to be useful in a summary (big sequences) are
replaced by a note of their size.

The version is read first (GetImageSet) and then pinned in GetImageSetMetadata, so the summary, its instance
offsets and a continuation all describe the same version even while an import adds a newer one.
"""

import gzip
import json
from difflib import get_close_matches
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from imageset_search.datastores.errors import InternalServerException
from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.arguments import DatastoreIdArg, ImageSetIdArg, ToolArguments, VersionArg, version_id
from imageset_search.tools.choice import choose_datastore
from imageset_search.tools.errors import SearchError, describe_validation_error
from imageset_search.tools.settings import Settings
from imageset_search.tools.spec import ToolResult, ToolSpec

MAX_INSTANCES = 500
MAX_ATTRIBUTES = 32
VALUE_CHARS = 300  # a value longer than this (its text, or its JSON) is replaced by a note of its size
DISTINCT_VALUES = 10  # instance-level values shown per attribute when the instances are not listed
INSTANCE_BUDGET = 40_000  # characters of JSON for the listed instances: the whole result stays near 10k tokens

PATIENT_FIELDS = {
    "patient_id": "PatientID",
    "patient_name": "PatientName",
    "patient_birth_date": "PatientBirthDate",
    "patient_sex": "PatientSex",
}
STUDY_FIELDS = {
    "study_instance_uid": "StudyInstanceUID",
    "study_id": "StudyID",
    "study_date": "StudyDate",
    "study_time": "StudyTime",
    "study_description": "StudyDescription",
    "accession_number": "AccessionNumber",
}
SERIES_FIELDS = {
    "series_instance_uid": "SeriesInstanceUID",
    "modality": "Modality",
    "body_part": "BodyPartExamined",
    "series_number": "SeriesNumber",
    "series_description": "SeriesDescription",
}


def dicom_keywords(keywords: list[str] | None) -> list[str] | None:
    """The asked-for keywords, each a DICOM dictionary keyword (pydicom's), in order, without repeats."""
    if keywords is None:
        return None
    from pydicom.datadict import keyword_dict

    for position, keyword in enumerate(keywords):
        if keyword not in keyword_dict:
            close = get_close_matches(keyword, keyword_dict, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(
                f"item {position + 1} is not a DICOM keyword{hint}; use keywords as the standard spells them, "
                "e.g. SliceThickness, Manufacturer, ProtocolName"
            )
    return list(dict.fromkeys(keywords))


Keyword = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,63}$")]


class MetadataArgs(ToolArguments):
    """Arguments of get_image_set_metadata."""

    datastore_id: DatastoreIdArg = None
    image_set_id: ImageSetIdArg
    version: VersionArg = None
    attributes: Annotated[list[Keyword] | None, AfterValidator(dicom_keywords)] = Field(
        None,
        min_length=1,
        max_length=MAX_ATTRIBUTES,
        description="DICOM keywords to read, e.g. Manufacturer, SliceThickness, KVP",
    )
    include_instances: bool = Field(False, description="true: list the instances (SOP UID, number, attributes)")
    max_instances: int = Field(
        50, ge=1, le=MAX_INSTANCES, description="With include_instances: instances per call"
    )
    instance_offset: int = Field(
        0, ge=0, description="With include_instances: a previous result's next_instance_offset"
    )


FIELD_VALUES = ConfigDict(coerce_numbers_to_str=True)  # a numeric StudyID in a document is still the text field


class PatientSummary(BaseModel):
    model_config = FIELD_VALUES
    patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: str | None = None
    patient_sex: str | None = None
    attributes: dict[str, Any] | None = None


class StudySummary(BaseModel):
    model_config = FIELD_VALUES
    study_instance_uid: str | None = None
    study_id: str | None = None
    study_date: str | None = None
    study_time: str | None = None
    study_description: str | None = None
    accession_number: str | None = None
    attributes: dict[str, Any] | None = None


class InstanceBrief(BaseModel):
    model_config = FIELD_VALUES
    sop_instance_uid: str
    instance_number: int | str | None = None
    frames: int | None = None
    attributes: dict[str, Any] | None = None


class SeriesSummary(BaseModel):
    model_config = FIELD_VALUES
    series_instance_uid: str
    modality: str | None = None
    body_part: str | None = None
    series_number: int | str | None = None
    series_description: str | None = None
    instance_count: int
    attributes: dict[str, Any] | None = None
    instance_values: dict[str, list[str | int | float]] | None = Field(
        None, description="instances not listed: their distinct values (first 10)"
    )
    instances: list[InstanceBrief] | None = None


class MetadataSummary(ToolResult):
    datastore_id: str
    image_set_id: str
    version: int
    is_primary: bool | None = None
    patient: PatientSummary
    study: StudySummary
    series: list[SeriesSummary]
    instance_count: int
    instance_offset: int | None = None
    instances_listed: int | None = None
    has_more: bool | None = Field(None, description="true: more instances; call again with next_instance_offset")
    next_instance_offset: int | None = None
    not_found: list[str] | None = Field(None, description="asked-for attributes found nowhere")
    warnings: list[str] | None = None


# --- reading the document ------------------------------------------------------------------------------------------


def decode_document(blob: bytes) -> dict[str, Any]:
    """The metadata JSON from the datastore's bytes: gzip as AWS sends it (plain JSON is taken as it is)."""
    try:
        raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        document = json.loads(raw)
    except (OSError, EOFError, ValueError):
        raise InternalServerException(
            "the datastore's metadata document for this image set is not valid gzip-compressed JSON; try again, "
            "or read another version"
        ) from None
    if not isinstance(document, dict):
        raise InternalServerException("the datastore's metadata document for this image set is not a JSON object")
    return document


def _dicom(level: Any) -> dict[str, Any]:
    found = level.get("DICOM") if isinstance(level, dict) else None
    return found if isinstance(found, dict) else {}


def _series_of(document: dict[str, Any]) -> dict[str, Any]:
    study = document.get("Study")
    series = study.get("Series") if isinstance(study, dict) else None
    return series if isinstance(series, dict) else {}


def _instances_of(series: Any) -> dict[str, Any]:
    instances = series.get("Instances") if isinstance(series, dict) else None
    return instances if isinstance(instances, dict) else {}


def _shown(value: Any) -> Any:
    """A value as a summary shows it: person names as text, anything too long replaced by a note of its size."""
    if isinstance(value, dict) and isinstance(value.get("Alphabetic"), str):
        value = value["Alphabetic"]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    size = len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False, default=str))
    if size > VALUE_CHARS:
        what = f"a sequence of {len(value)} items" if isinstance(value, list) else "a value"
        return f"(omitted: {what}, {size} characters)"
    return value


def _field_value(value: Any) -> Any:
    """One text or number for a summary field: multiple values joined by backslashes as DICOM writes them, and
    anything still structured (a sequence where a plain value belongs) as its JSON text."""
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        value = "\\".join(str(item) for item in value)
    value = _shown(value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _fields(dicom: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        name: _field_value(dicom[keyword]) for name, keyword in names.items() if dicom.get(keyword) not in (None, "")
    }


def _asked(dicom: dict[str, Any], keywords: list[str]) -> dict[str, Any] | None:
    found = {keyword: _shown(dicom[keyword]) for keyword in keywords if dicom.get(keyword) is not None}
    return found or None


def _instance_order(item: tuple[str, Any]) -> tuple:
    """Instance number order (numbers before text, missing last), then SOP UID: a stable order to page through."""
    sop_uid, instance = item
    number = _dicom(instance).get("InstanceNumber")
    try:
        return (0, int(number), sop_uid)
    except (TypeError, ValueError):
        return (1 if number is not None else 2, str(number), sop_uid)


# --- the summary ---------------------------------------------------------------------------------------------------


def _check_paging(args: MetadataArgs) -> None:
    """Paging values without include_instances would be ignored silently; defaults sent by a host are harmless."""
    fields = MetadataArgs.model_fields
    paging = [name for name in ("instance_offset", "max_instances") if getattr(args, name) != fields[name].default]
    if paging and not args.include_instances:
        names = " and ".join(paging)
        raise SearchError(f"paging the instances ({names}) needs include_instances=true: send it too, or drop {names}")


class _Page:
    """The instances of the whole image set in a stable order, and which of them this call lists."""

    def __init__(self, series: dict[str, Any], args: MetadataArgs, budget: int):
        self.by_series = {
            uid: sorted(_instances_of(entry).items(), key=_instance_order) for uid, entry in series.items()
        }
        self.ordered = [
            (series_uid, sop_uid, instance)
            for series_uid, instances in self.by_series.items()
            for sop_uid, instance in instances
        ]
        total = len(self.ordered)
        if args.include_instances and args.instance_offset and args.instance_offset >= total:
            raise SearchError(
                f"instance_offset {args.instance_offset} is past the last instance: this version has {total}; "
                f"send an offset from 0 to {max(total - 1, 0)}"
            )
        self.listed: dict[str, list[InstanceBrief]] = {}
        self.count = 0
        self.cut_by_budget = False
        if args.include_instances:
            self._fill(args, budget)

    def _fill(self, args: MetadataArgs, budget: int) -> None:
        spent = 0
        for series_uid, sop_uid, instance in self.ordered[args.instance_offset :]:
            if self.count == args.max_instances:
                return
            brief = _instance(sop_uid, instance, args.attributes or [])
            spent += len(brief.model_dump_json(exclude_none=True))
            if spent > budget and self.count:
                self.cut_by_budget = True
                return
            self.listed.setdefault(series_uid, []).append(brief)
            self.count += 1


def _instance(sop_uid: str, instance: Any, keywords: list[str]) -> InstanceBrief:
    dicom = _dicom(instance)
    frames = instance.get("ImageFrames") if isinstance(instance, dict) else None
    return InstanceBrief(
        sop_instance_uid=sop_uid,
        instance_number=_field_value(dicom["InstanceNumber"]) if dicom.get("InstanceNumber") is not None else None,
        frames=len(frames) if isinstance(frames, list) and frames else None,
        attributes=_asked(dicom, keywords),
    )


def _distinct(instances: list[tuple[str, Any]], keywords: list[str]) -> dict[str, list[str | int | float]] | None:
    """Per keyword, the distinct values the series' instances hold (in instance order, the first few), each one
    text or number as a summary field shows it, so the output schema can say what the lists hold."""
    found: dict[str, list[str | int | float]] = {}
    for _, instance in instances:
        for keyword, raw in (_asked(_dicom(instance), keywords) or {}).items():
            value = _field_value(raw)
            values = found.setdefault(keyword, [])
            if value not in values and len(values) < DISTINCT_VALUES:
                values.append(value)
    return found or None


def _series(uid: str, entry: Any, args: MetadataArgs, page: _Page, keywords: list[str]) -> SeriesSummary:
    dicom = _dicom(entry)
    instances = page.by_series[uid]
    return SeriesSummary(
        **({"series_instance_uid": uid} | _fields(dicom, SERIES_FIELDS)),
        instance_count=len(instances),
        attributes=_asked(dicom, keywords),
        instance_values=_distinct(instances, keywords) if keywords and not args.include_instances else None,
        instances=page.listed.get(uid),
    )


def _not_found(document: dict[str, Any], keywords: list[str]) -> list[str] | None:
    if not keywords:
        return None
    present: set[str] = set(_dicom(document.get("Patient"))) | set(_dicom(document.get("Study")))
    for entry in _series_of(document).values():
        present |= set(_dicom(entry))
        for instance in _instances_of(entry).values():
            present |= set(_dicom(instance))
    missing = [keyword for keyword in keywords if keyword not in present]
    return missing or None


def summarize(
    document: dict[str, Any],
    args: MetadataArgs,
    datastore_id: str,
    properties: dict[str, Any],
    budget: int = INSTANCE_BUDGET,
) -> MetadataSummary:
    """The summary of one metadata document; `properties` is GetImageSet's answer for the same version."""
    keywords = args.attributes or []
    patient, study, series = _dicom(document.get("Patient")), _dicom(document.get("Study")), _series_of(document)
    page = _Page(series, args, budget)
    listing = args.include_instances
    has_more = listing and args.instance_offset + page.count < len(page.ordered)
    warnings = []
    if page.cut_by_budget:
        warnings.append(
            f"Listed {page.count} instances, fewer than max_instances, to keep the result small; continue with "
            "next_instance_offset, or ask for fewer attributes."
        )
    return MetadataSummary(
        datastore_id=datastore_id,
        image_set_id=properties["imageSetId"],
        version=int(properties["versionId"]),
        is_primary=properties.get("isPrimary"),
        patient=PatientSummary(**_fields(patient, PATIENT_FIELDS), attributes=_asked(patient, keywords)),
        study=StudySummary(**_fields(study, STUDY_FIELDS), attributes=_asked(study, keywords)),
        series=[_series(uid, entry, args, page, keywords) for uid, entry in series.items()],
        instance_count=len(page.ordered),
        instance_offset=args.instance_offset if listing else None,
        instances_listed=page.count if listing else None,
        has_more=has_more if listing else None,
        next_instance_offset=args.instance_offset + page.count if has_more else None,
        not_found=_not_found(document, keywords),
        warnings=warnings or None,
    )


def read_summary(datastore: Datastore, datastore_id: str, args: MetadataArgs) -> MetadataSummary:
    """GetImageSet (which version), then that version's GetImageSetMetadata, summarized."""
    _check_paging(args)
    properties = datastore.get_image_set(datastore_id, args.image_set_id, version_id(args.version))
    blob = datastore.get_image_set_metadata(datastore_id, args.image_set_id, properties["versionId"])
    return summarize(decode_document(blob), args, datastore_id, properties)


def get_image_set_metadata(datastore: Datastore, args: MetadataArgs, settings: Settings) -> MetadataSummary:
    datastore_id = choose_datastore(datastore, args.datastore_id, settings.default_datastore_id)
    return read_summary(datastore, datastore_id, args)


def metadata_summary(
    datastore: Datastore, datastore_id: str, image_set_id: str, version: int | str | None = None
) -> dict[str, Any]:
    """The summary as the resource imageset://{datastore_id}/{image_set_id}/metadata serves it (no instances)."""
    try:
        args = MetadataArgs(datastore_id=datastore_id, image_set_id=image_set_id, version=version)
    except ValidationError as exc:
        raise SearchError(describe_validation_error(exc, "resource address")) from None
    return read_summary(datastore, choose_datastore(datastore, datastore_id, None), args).compact()


def metadata_text(result: MetadataSummary) -> str:
    kinds = sorted({" ".join(filter(None, (s.modality, s.body_part))) or "unknown modality" for s in result.series})
    lines = [
        f"Metadata of image set {result.image_set_id} (version {result.version}) in datastore {result.datastore_id}.",
        f"Series: {len(result.series)} ({', '.join(kinds) or 'none'}); instances: {result.instance_count}.",
    ]
    if result.instances_listed is not None:
        first = result.instance_offset or 0
        shown = f"{first + 1}-{first + result.instances_listed}" if result.instances_listed else "none"
        lines.append(f"Listed instances {shown} of {result.instance_count}.")
    if result.has_more:
        lines.append(
            f"More instances: call get_image_set_metadata again with include_instances=true, "
            f"instance_offset={result.next_instance_offset} and version={result.version}."
        )
    elif result.instances_listed is None and result.instance_count:
        lines.append("To list the instances, call again with include_instances=true.")
    if result.not_found:
        lines.append(f"Not in this image set: {', '.join(result.not_found)}.")
    lines += result.warnings or []
    return "\n".join(lines)


GET_IMAGE_SET_METADATA = ToolSpec(
    name="get_image_set_metadata",
    title="Read an image set's DICOM metadata",
    description=(
        "One image set's DICOM metadata, summarized: patient, study, each series (UID, modality, body part, "
        "number, description, instance count). attributes adds DICOM keywords (e.g. Manufacturer) from every "
        "level. include_instances=true lists instances up to max_instances; when has_more is true, call again "
        "with instance_offset=next_instance_offset and the same version. Read-only."
    ),
    arguments=MetadataArgs,
    result=MetadataSummary,
    run=get_image_set_metadata,
    text=metadata_text,
)
