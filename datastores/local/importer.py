"""Read DICOM headers into `Instance` records and feed them to the local store in crash-safe batches.

HealthImaging files each instance's attributes at four levels (Patient, Study, Series, Instance) and builds image
sets from them; this module does the DICOM half of that: which attribute belongs to which level, JSON-ready values
(through `dicom_values`), and the walk over files and folders. Grouping into image sets is the store's.

Each batch is one `store.add_instances` call, one transaction: a kill mid-import leaves whole batches only, and
running the same import again adds just what is missing (instances already stored are duplicates and add nothing).
A batch never splits a series: the store makes a new version of an image set for every call that adds to it, so
a series cut in two would come out of a fresh import as version 2. Files are therefore read in series order (a
quick first pass reads each file's SeriesInstanceUID only), which also keeps interleaved exports whole.

Headers are read by a fast reader of its own (the last section) wherever it can read them exactly as pydicom would,
and by pydicom everywhere else; both give the same Instance, so which one read a file never shows in what is stored.
"""

import codecs
import functools
import logging
import os
import re
import struct
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from imageset_search.datastores.local.dicom_values import BINARY_VRS, NotDecoded, element_value, raw_value
from imageset_search.datastores.local.records import Instance

PATIENT_KEYWORDS = frozenset(
    """PatientName PatientID IssuerOfPatientID IssuerOfPatientIDQualifiersSequence TypeOfPatientID PatientBirthDate
    PatientBirthTime PatientSex QualityControlSubject OtherPatientIDs OtherPatientIDsSequence OtherPatientNames
    EthnicGroup PatientSpeciesDescription PatientSpeciesCodeSequence PatientBreedDescription PatientBreedCodeSequence
    BreedRegistrationSequence StrainDescription ResponsiblePerson ResponsiblePersonRole ResponsibleOrganization
    PatientComments PatientIdentityRemoved DeidentificationMethod DeidentificationMethodCodeSequence""".split()
)
# The General Study and Patient Study modules: what is true of the study whichever series it is read from.
STUDY_KEYWORDS = frozenset(
    """StudyInstanceUID StudyDate StudyTime StudyID AccessionNumber IssuerOfAccessionNumberSequence StudyDescription
    ReferringPhysicianName ReferringPhysicianIdentificationSequence ConsultingPhysicianName PhysiciansOfRecord
    NameOfPhysiciansReadingStudy RequestingServiceCodeSequence ReferencedStudySequence ProcedureCodeSequence
    ReasonForPerformedProcedureCodeSequence AdmittingDiagnosesDescription AdmittingDiagnosesCodeSequence PatientAge
    PatientSize PatientWeight MedicalAlerts Allergies SmokingStatus PregnancyStatus LastMenstrualDate PatientState
    AdmissionID ServiceEpisodeID ServiceEpisodeDescription Occupation AdditionalPatientHistory ReasonForVisit
    PatientSexNeutered""".split()
)
# The General Series module.
SERIES_KEYWORDS = frozenset(
    """SeriesInstanceUID Modality SeriesNumber SeriesDescription SeriesDescriptionCodeSequence BodyPartExamined
    Laterality SeriesDate SeriesTime PerformingPhysicianName ProtocolName OperatorsName PatientPosition
    AnatomicalOrientationType SmallestPixelValueInSeries LargestPixelValueInSeries RelatedSeriesSequence
    ReferencedPerformedProcedureStepSequence RequestAttributesSequence PerformedProcedureStepID
    PerformedProcedureStepStartDate PerformedProcedureStepStartTime PerformedProcedureStepEndDate
    PerformedProcedureStepEndTime PerformedProcedureStepDescription PerformedProtocolCodeSequence
    CommentsOnThePerformedProcedureStep TreatmentSessionUID""".split()
)
# Counts the store derives from what it holds; a file's own copy would contradict them, so it is not kept.
STORE_COUNTED = frozenset(
    {"NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "NumberOfSeriesRelatedInstances"}
)
# Instance field -> (metadata level, keyword). The summary fields of the image set, under AWS's DICOMTags names.
SUMMARY_TAGS = {
    "DICOMPatientId": ("patient", "PatientID"),
    "DICOMPatientName": ("patient", "PatientName"),
    "DICOMPatientBirthDate": ("patient", "PatientBirthDate"),
    "DICOMPatientSex": ("patient", "PatientSex"),
    "DICOMStudyInstanceUID": ("study", "StudyInstanceUID"),
    "DICOMStudyId": ("study", "StudyID"),
    "DICOMStudyDescription": ("study", "StudyDescription"),
    "DICOMAccessionNumber": ("study", "AccessionNumber"),
    "DICOMStudyDate": ("study", "StudyDate"),
    "DICOMStudyTime": ("study", "StudyTime"),
    "DICOMSeriesInstanceUID": ("series", "SeriesInstanceUID"),
    "DICOMSeriesModality": ("series", "Modality"),
    "DICOMSeriesBodyPart": ("series", "BodyPartExamined"),
    "DICOMSeriesNumber": ("series", "SeriesNumber"),
}
REQUIRED_UIDS = (("study", "StudyInstanceUID"), ("series", "SeriesInstanceUID"), ("instance", "SOPInstanceUID"))
DICOMDIR_CLASS_UID = "1.2.840.10008.1.3.10"
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_QUIET_TURN = threading.RLock()
# Transfer syntax of a file without file meta, from how pydicom found it encoded: (implicit VR, little endian).
_ENCODING_SYNTAX = {
    (True, True): "1.2.840.10008.1.2",
    (False, True): "1.2.840.10008.1.2.1",
    (False, False): "1.2.840.10008.1.2.2",
}


class SkipFile(Exception):
    """A file the import leaves out; `reason` says why in a few plain words and never quotes the file's values."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ImportReport:
    files_seen: int = 0
    instances_added: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file path, reason)
    image_sets_created: int = 0
    image_sets_updated: int = 0


def read_instance(path: str | os.PathLike) -> Instance:
    """One file's header as an Instance (pixel data is never read); raises SkipFile when it cannot be imported."""
    path = Path(path)
    if not path.is_file():  # a FIFO or device would block the read; a dangling link has nothing to read
        raise SkipFile("not a regular file")
    fast = fast_instance_elements(path)
    if fast is not None:
        return _converted(lambda: _to_instance(*fast))
    with _quiet_pydicom():
        dataset = _read_dataset(path)
        return _converted(lambda: _to_instance(_elements(dataset), _transfer_syntax(dataset), _sop_class(dataset)))


def _converted(convert: Callable[[], Instance]) -> Instance:
    try:
        return convert()
    except SkipFile:
        raise
    except Exception as exc:  # a header that parsed but whose values cannot be decoded
        raise SkipFile(f"unreadable: {type(exc).__name__}") from None


def import_paths(
    store,
    datastore_id: str,
    paths: Iterable[str | os.PathLike],
    *,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import every file under `paths` (folders recursively, walked in sorted order, read series by series).

    A bad file is reported in `skipped` and the import goes on. Raises FileNotFoundError before storing anything
    when a path does not exist. `progress(done, total)` hears of each file read (done of total), and once with
    done 0 before the quick series scan, so a long import shows it has begun.
    """
    files = list_files(paths)
    report = ImportReport(files_seen=len(files))
    if progress:
        progress(0, len(files))
    batch: list[Instance] = []
    for done, path in enumerate(in_series_order(files), start=1):
        try:
            instance = read_instance(path)
        except SkipFile as skip:
            report.skipped.append((str(path), skip.reason))
        else:
            if len(batch) >= batch_size and instance.series_instance_uid != batch[-1].series_instance_uid:
                _add(store, datastore_id, batch, now, report)
                batch = []
            batch.append(instance)
        if progress:
            progress(done, len(files))
    _add(store, datastore_id, batch, now, report)
    return report


def list_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files named or lying under `paths`, each once, folders walked in sorted order so imports repeat exactly."""
    roots = [Path(path) for path in paths]
    missing = [str(root) for root in roots if not root.exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    seen: set[str] = set()
    files = []
    for file, key in (found for root in roots for found in _walk(root)):
        if key not in seen:
            seen.add(key)
            files.append(file)
    return files


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Each file with its resolved path, the key that makes it counted once. A file that is not a link resolves to
    its folder's resolved path and its name, so each folder is resolved once: resolving every file's whole path
    was a tenth of an import's time."""
    if not root.is_dir():
        yield root, os.path.realpath(root)
        return
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        resolved_folder = os.path.realpath(folder)
        for name in sorted(names):
            path = os.path.join(folder, name)
            key = os.path.realpath(path) if os.path.islink(path) else os.path.join(resolved_folder, name)
            yield Path(path), key


def in_series_order(files: Sequence[Path]) -> list[Path]:
    """The files regrouped so that each series' files follow one another, series in the order first met.

    Files whose series cannot be read quickly keep a place of their own; reading them in full says what is wrong.
    """
    groups: dict[Any, list[Path]] = {}
    for path in files:
        groups.setdefault(_series_uid(path) or path, []).append(path)
    return [path for group in groups.values() for path in group]


def _series_uid(path: Path) -> str | None:
    """Only the SeriesInstanceUID of a file, parsed without decoding anything else; None when that fails."""
    if not path.is_file():
        return None
    header = fast_header(path)
    uid = _fast_series_uid(header) if header else None
    if uid is not None:
        return uid or None
    import pydicom

    try:
        with _quiet_pydicom():
            dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
            return str(dataset.get("SeriesInstanceUID") or "") or None
    except Exception:
        return None


def _add(store, datastore_id: str, instances: Sequence[Instance], now, report: ImportReport) -> None:
    if not instances:
        return
    result = store.add_instances(datastore_id, instances, now=now)
    report.instances_added += result.instances_added
    report.duplicates += result.instances_duplicate
    report.image_sets_created += result.image_sets_created
    report.image_sets_updated += result.image_sets_updated


@contextmanager
def _quiet_pydicom():
    """pydicom's warnings quote element values (patient data), so they stay out of logs and stderr while reading.

    Its value validation is switched off too: an invalid value is imported as it stands either way, and checking
    each one only to say so costs time on every file. These are process-wide settings, so readers in several
    threads take turns: otherwise one thread's restore could undo another's quiet, or leave pydicom muted for good.
    """
    from pydicom import config

    logger = logging.getLogger("pydicom")
    with _QUIET_TURN:
        was_disabled, mode = logger.disabled, config.settings.reading_validation_mode
        logger.disabled, config.settings.reading_validation_mode = True, config.IGNORE
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            logger.disabled, config.settings.reading_validation_mode = was_disabled, mode


def _read_dataset(path: Path):
    """The header, with pydicom's `force` only for a bare dataset: forcing it on other files parses garbage."""
    import pydicom

    try:
        with open(path, "rb") as handle:
            start = handle.read(132)
        bare = _starts_like_a_dataset(start)
        if not bare and start[128:132] != b"DICM":
            raise SkipFile("not a DICOM file")
        return pydicom.dcmread(path, stop_before_pixels=True, force=bare)
    except SkipFile:
        raise
    except Exception as exc:
        raise SkipFile(f"unreadable: {type(exc).__name__}") from None


def _starts_like_a_dataset(start: bytes) -> bool:
    """Whether a file begins with a data element of group 0002 or 0008 (either byte order), as files written
    without the 128-byte preamble and DICM prefix do (ACR-NEMA era files, some old exports)."""
    if len(start) < 4:
        return False
    groups = {int.from_bytes(start[:2], "little"), int.from_bytes(start[:2], "big")}
    return bool(groups & {0x0002, 0x0008})


def _to_instance(
    elements: Iterable[tuple[str, str, Any]], transfer_syntax: str | None, sop_class: str | None = None
) -> Instance:
    """The Instance of a header's (keyword, VR, JSON value) elements, whichever reader decoded them."""
    if sop_class == DICOMDIR_CLASS_UID:
        raise SkipFile("a DICOMDIR (a folder index, not an instance)")
    levels: dict[str, dict[str, Any]] = {"patient": {}, "study": {}, "series": {}, "instance": {}}
    vrs: dict[str, str] = {}
    for keyword, vr, value in elements:
        level = _level_of(keyword)
        levels[level][keyword] = value
        if level == "instance":
            vrs[keyword] = vr
    for level, keyword in REQUIRED_UIDS:
        _check_uid(levels[level].get(keyword), keyword)
    return Instance(
        sop_instance_uid=levels["instance"]["SOPInstanceUID"],
        series_instance_uid=levels["series"]["SeriesInstanceUID"],
        tags={name: _single(levels[level].get(keyword)) for name, (level, keyword) in SUMMARY_TAGS.items()},
        patient=levels["patient"],
        study=levels["study"],
        series=levels["series"],
        instance=levels["instance"],
        vrs=vrs,
        transfer_syntax_uid=transfer_syntax,
    )


def _elements(dataset) -> Iterator[tuple[str, str, Any]]:
    """(keyword, VR, JSON value) of each public, non-binary attribute; one that fails to decode is left out.

    Private tags and group lengths are passed over before pydicom decodes them (vendors' private groups are often
    most of a header); a decoded element without a keyword (not in pydicom's dictionary) is left out too.
    """
    for tag in list(dataset.keys()):
        if tag.is_private or tag.element == 0:
            continue
        try:
            element = dataset[tag]
        except Exception:
            continue
        if not element.keyword or element.VR in BINARY_VRS or element.keyword in STORE_COUNTED:
            continue
        try:
            value = element_value(element.VR, element.value, _item_to_json)
        except Exception:
            continue
        yield element.keyword, element.VR, value


def _item_to_json(item) -> dict[str, Any]:
    return {keyword: value for keyword, _vr, value in _elements(item)}


def _level_of(keyword: str) -> str:
    if keyword in PATIENT_KEYWORDS:
        return "patient"
    if keyword in STUDY_KEYWORDS:
        return "study"
    if keyword in SERIES_KEYWORDS:
        return "series"
    return "instance"


def _check_uid(value: Any, keyword: str) -> None:
    if value is None:
        raise SkipFile(f"no {keyword}")
    if not isinstance(value, str) or len(value) > 64 or not _UID.match(value):
        raise SkipFile(f"{keyword} is not a valid UID")


def _single(value: Any) -> Any:
    """A summary field holds one value: the first of a multi-valued attribute."""
    return value[0] if isinstance(value, list) else value


def _sop_class(dataset) -> Any:
    return dataset.file_meta.get("MediaStorageSOPClassUID")


def _transfer_syntax(dataset) -> str | None:
    uid = dataset.file_meta.get("TransferSyntaxUID")
    if uid:
        return str(uid)
    return _ENCODING_SYNTAX.get(tuple(dataset.original_encoding))


# -- the fast reader ------------------------------------------------------------------------------------------------
# pydicom builds a Dataset of DataElement objects and converts every value through its own layers; for the files
# nearly every export writes (preamble, little endian, explicit or implicit VR, an ASCII-compatible first character
# set) this reader walks the raw bytes itself and gives the same elements, several times faster. A file it cannot
# walk exactly as pydicom does (big endian, deflated, a known tag as UN, an ambiguous implicit VR, a truncated
# header, a DICOMDIR, ...) it declines, and pydicom reads that file as before; a single value it cannot decode
# exactly (AT, ISO 2022 escapes, malformed numbers, ...) pydicom converts on its own.

_FIRST_CHUNK = 64 * 1024
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00009, 0x7FE00008})  # where pydicom's stop_before_pixels stops
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LUT_DESCRIPTORS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})  # pydicom mends these when SS
_LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"})
_VRS = _LONG_LENGTH_VRS | {
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "SV", "TM",
    "UI", "UL", "US", "UV",
}  # fmt: skip
_SERIES_UID_TAG, _CHARACTER_SET_TAG = 0x0020000E, 0x00080005
_SOP_CLASS_TAG, _SYNTAX_TAG = 0x00020002, 0x00020010
_IMPLICIT_LITTLE_ENDIAN = "1.2.840.10008.1.2"
_PIXEL_REPRESENTATION_TAG = 0x00280103
_ASCII_COMPATIBLE = re.compile(r"^(iso8859-\d+|utf-8|ascii)$")


class _Declined(Exception):
    """The fast reader leaves this file to pydicom."""


class _Short(Exception):
    """The bytes read so far end inside the header."""


@dataclass(frozen=True)
class FastHeader:
    """A header as the fast reader found it: tag -> (VR, raw bytes, or a list of item dicts for a sequence)."""

    elements: dict[int, tuple[str, Any]]
    syntax: str


def fast_instance_elements(path: Path) -> tuple[list[tuple[str, str, Any]], str] | None:
    """(keyword, VR, JSON value) of each kept element and the transfer syntax, by the fast reader; None when it
    declines the file. Values decode exactly as `_elements` decodes pydicom's, or the file is declined."""
    header = fast_header(path)
    if header is None:
        return None
    try:
        encodings = _encodings(header.elements.get(_CHARACTER_SET_TAG))
        return _fast_elements(header.elements, encodings), header.syntax
    except Exception:  # _Declined, or a value the fast decoding does not expect
        return None


def fast_header(path: Path) -> FastHeader | None:
    """The raw header of a little endian file with preamble, walked without pydicom; None when the fast reader
    declines it (pydicom reads it then, and says what is wrong with it if anything is)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_FIRST_CHUNK)
            complete = len(data) < _FIRST_CHUNK
            while True:
                try:
                    return _parse_file(data, complete)
                except _Short:
                    if complete:
                        return None  # a truncated header
                    wanted = len(data) * 3  # a header larger than the first chunk: read on, growing
                    more = handle.read(wanted)
                    data, complete = data + more, len(more) < wanted
    except Exception:  # _Declined, an OSError, or bytes that break the walk
        return None


def _parse_file(data: bytes, complete: bool) -> FastHeader:
    end = len(data) if complete else None
    if data[128:132] != b"DICM":
        raise _Declined
    meta, position = _raw_elements(data, 132, end, lambda tag: tag >> 16 != 0x0002, False)
    syntax = _uid(meta.get(_SYNTAX_TAG))
    implicit = syntax == _IMPLICIT_LITTLE_ENDIAN
    if not (implicit or syntax in _explicit_little_endian_syntaxes()):
        raise _Declined
    if _uid(meta.get(_SOP_CLASS_TAG)) == DICOMDIR_CLASS_UID or implicit and _looks_explicit(data, position):
        raise _Declined
    elements, stopped_at = _raw_elements(data, position, end, _PIXEL_TAGS.__contains__, implicit)
    if not elements:
        raise _Declined
    if implicit:
        _settle_ambiguous_vrs(elements)
    if not implicit and stopped_at < len(data):
        _explicit_head(data, stopped_at)  # pydicom reads the pixel data element's whole head before it stops
    return FastHeader(elements, syntax)


def _settle_ambiguous_vrs(elements: dict[int, tuple[str, Any]]) -> None:
    """Give the top level's "US or SS" elements the VR pydicom settles on from PixelRepresentation (its VR enum, as
    pydicom leaves it); "OB or OW" stays, binary either way. Any other ambiguity, or one pydicom settles by rules
    this reader does not follow (no PixelRepresentation, LUT descriptors), declines the file."""
    for tag, (vr, raw) in elements.items():
        if " or " not in vr or vr == "OB or OW":
            continue
        if vr != "US or SS" or tag not in _us_or_ss_tags() or tag in _LUT_DESCRIPTORS:
            raise _Declined
        elements[tag] = (_pixel_vr(elements.get(_PIXEL_REPRESENTATION_TAG)), raw)


def _pixel_vr(pixel_representation: tuple[str, Any] | None) -> str:
    from pydicom.valuerep import VR

    if pixel_representation is None or pixel_representation[0] != "US" or len(pixel_representation[1]) != 2:
        raise _Declined
    return VR.US if _SHORT_LENGTH.unpack(pixel_representation[1])[0] == 0 else VR.SS


@functools.cache
def _us_or_ss_tags() -> frozenset[int]:
    from pydicom.filewriter import _AMBIGUOUS_US_SS_TAGS

    return frozenset(_AMBIGUOUS_US_SS_TAGS)


def _looks_explicit(data: bytes, position: int) -> bool:
    """Whether an implicit VR dataset starts as an explicit one would (two capitals after the tag): pydicom then
    reads it as explicit VR, and so this reader leaves it to pydicom."""
    head = data[position + 4 : position + 6]
    return len(head) == 2 and all(0x40 < byte < 0x5B for byte in head)


def _raw_elements(
    data: bytes, position: int, end: int | None, stop, implicit: bool
) -> tuple[dict[int, tuple[str, Any]], int]:
    """The elements from `position` to `end` (the file's or the item's), to the first tag `stop` accepts (at the top
    level), or to an item delimiter (in an item of undefined length: no `end`, no `stop`). A repeated tag keeps its
    first place and its last value, as in pydicom's Dataset."""
    elements: dict[int, tuple[str, Any]] = {}
    while end is None or position < end:
        if position + 8 > len(data):
            raise _Short
        tag = _ITEM_HEAD.unpack_from(data, position)
        tag = tag[0] << 16 | tag[1]
        if tag == _ITEM_END and end is None and stop is None:
            return elements, position + 8
        if stop is not None and stop(tag):
            return elements, position
        if tag >> 16 == 0xFFFE:
            raise _Declined
        vr, length, start = _implicit_head(data, position, tag) if implicit else _explicit_head(data, position)
        if vr == "SQ" or (implicit and not vr and length == _UNDEFINED):  # an unknown tag's, read as a sequence
            value, position = _items(data, start, None if length == _UNDEFINED else start + length, implicit)
        elif length == _UNDEFINED or (vr == "UN" and not tag >> 16 & 1):
            raise _Declined  # pydicom reads these as sequences or by the dictionary's VR
        else:
            position = start + length
            if position > len(data):
                raise _Short
            value = data[start:position]
        elements[tag] = (vr, value)
    if position != end:
        raise _Declined
    return elements, position


def _explicit_head(data: bytes, position: int) -> tuple[str, int, int]:
    """(VR, value length, value start) of an explicit VR element."""
    vr = data[position + 4 : position + 6].decode("latin-1")
    if vr not in _VRS:
        raise _Declined
    if vr in _LONG_LENGTH_VRS:
        if position + 12 > len(data):
            raise _Short
        return vr, _LENGTH.unpack_from(data, position + 8)[0], position + 12
    return vr, _SHORT_LENGTH.unpack_from(data, position + 6)[0], position + 8


def _implicit_head(data: bytes, position: int, tag: int) -> tuple[str, int, int]:
    """(VR, value length, value start) of an implicit VR element: the dictionary's VR, "" for a tag it does not know
    (private or unknown: never kept, only walked past). An ambiguous VR ("US or SS", ...) is settled afterwards."""
    entry = _dictionary().get(tag)
    vr = entry[0] if entry else ""
    return vr, _LENGTH.unpack_from(data, position + 4)[0], position + 8


@functools.cache
def _dictionary() -> dict:
    from pydicom.datadict import DicomDictionary

    return DicomDictionary


_SHORT_LENGTH = struct.Struct("<H")
_ITEM_HEAD = struct.Struct("<HHL")
_LENGTH = struct.Struct("<L")


class _UndefinedLengthItems(list):
    """The items of a sequence of undefined length, which pydicom reads as it walks the file rather than when its
    value is first asked for; that shows in what pydicom loses on the way (`_pixel_representation_decodes`)."""


def _items(data: bytes, position: int, end: int | None, implicit: bool) -> tuple[list[dict[int, tuple[str, Any]]], int]:
    """A sequence's items, to `end` or (undefined length) to the sequence delimiter."""
    items = []
    while end is None or position < end:
        if position + 8 > len(data):
            raise _Short
        group, number, length = _ITEM_HEAD.unpack_from(data, position)
        tag = group << 16 | number
        if tag == _SEQUENCE_END and end is None:
            return _UndefinedLengthItems(items), position + 8
        if tag != _ITEM:
            raise _Declined
        item_end = None if length == _UNDEFINED else position + 8 + length
        item, position = _raw_elements(data, position + 8, item_end, None, implicit)
        if _CHARACTER_SET_TAG in item or any(" or " in vr and vr != "OB or OW" for vr, _value in item.values()):
            raise _Declined  # an item with its own character set, or with VRs pydicom settles from its ancestors
        items.append(item)
    if position != end:
        raise _Declined
    return items, position


def _fast_series_uid(header: FastHeader) -> str | None:
    """The SeriesInstanceUID as `_series_uid` reads it through pydicom ("" when there is none); None when this one
    value is not a plain UID (then pydicom reads it)."""
    element = header.elements.get(_SERIES_UID_TAG)
    if element is None:
        return ""
    value = _uid(element)
    return None if value is None or "\\" in value else value


def _uid(element: tuple[str, Any] | None) -> str | None:
    if element is None or element[0] != "UI":
        return None
    return element[1].decode("latin-1").rstrip("\x00 ")


@functools.cache
def _explicit_little_endian_syntaxes() -> frozenset[str]:
    from pydicom.uid import AllTransferSyntaxes

    return frozenset(
        str(uid)
        for uid in AllTransferSyntaxes
        if not uid.is_implicit_VR and uid.is_little_endian and not uid.is_deflated
    )


def _encodings(element: tuple[str, Any] | None) -> tuple[str, ...]:
    """The codecs pydicom decodes text with for this Specific Character Set; declined unless the first (the one
    for text without escape sequences) is ASCII-compatible."""
    if element is not None and element[0] != "CS":
        raise _Declined
    return _codecs(element[1] if element else b"")


@functools.lru_cache(maxsize=64)
def _codecs(raw: bytes) -> tuple[str, ...]:
    from pydicom.charset import convert_encodings

    with _quiet_pydicom():
        encodings = tuple(convert_encodings(raw_value("CS", raw, "latin-1")))
    if not _ASCII_COMPATIBLE.match(codecs.lookup(encodings[0]).name):
        raise _Declined
    return encodings


def _fast_elements(elements: dict[int, tuple[str, Any]], encodings: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """(keyword, VR, JSON value) of each element `_elements` keeps, decoded from the raw bytes; like `_elements`,
    it leaves out an element whose value pydicom cannot decode."""
    kept = []
    for tag, (vr, raw) in elements.items():
        if tag >> 16 & 1 or not tag & 0xFFFF or vr in BINARY_VRS:
            continue
        entry = _dictionary().get(tag)
        keyword = entry[4] if entry else ""
        if not keyword or keyword in STORE_COUNTED:
            continue
        if vr == "SQ":
            if not isinstance(raw, _UndefinedLengthItems) and not _pixel_representation_decodes(elements, encodings):
                continue
            value = element_value(vr, raw, lambda item: {k: v for k, _vr, v in _fast_elements(item, encodings)})
        else:
            decoded = _decoded(tag, vr, raw, encodings)
            if decoded is _UNDECODABLE:
                continue
            try:
                value = element_value(vr, decoded, None)
            except Exception:
                continue
        kept.append((keyword, vr, value))
    return kept


_UNDECODABLE = object()


def _pixel_representation_decodes(elements: dict[int, tuple[str, Any]], encodings: tuple[str, ...]) -> bool:
    """pydicom decodes a level's PixelRepresentation whenever it decodes a sequence of defined length there (to
    settle ambiguous VRs in the items), and loses the sequence when that fails; so does this reader."""
    element = elements.get(_PIXEL_REPRESENTATION_TAG)
    return element is None or _decoded(_PIXEL_REPRESENTATION_TAG, *element, encodings) is not _UNDECODABLE


def _decoded(tag: int, vr: str, raw: bytes, encodings: tuple[str, ...]) -> Any:
    """The element's value as pydicom gives it: decoded here, or by pydicom itself for the rare values `raw_value`
    declines (AT, escape sequences, malformed numbers, LUT descriptors pydicom mends); `_UNDECODABLE` when pydicom
    raises, where `_elements` would leave the element out."""
    if not (tag in _LUT_DESCRIPTORS and vr == "SS"):
        try:
            return raw_value(vr, raw, encodings[0])
        except NotDecoded:
            pass
    from pydicom.dataelem import RawDataElement, convert_raw_data_element
    from pydicom.tag import BaseTag

    element = RawDataElement(BaseTag(tag), vr, len(raw), raw, 0, False, True)
    try:
        with _quiet_pydicom():
            return convert_raw_data_element(element, encoding=list(encodings), ds=None).value
    except Exception:
        return _UNDECODABLE
