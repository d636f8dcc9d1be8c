"""The importer's fast reader gives exactly what pydicom's reading gives, on real files and on generated raw bytes.

The fast reader walks explicit VR little endian headers itself and declines everything else to pydicom; whatever it
reads must come out as the same Instance (same values, same Python types, the same series UID that groups it) and
the same skip reason as when pydicom reads the file. Each test reads every file both ways: as the importer does, and
with the fast reader switched off.
"""

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.datadict import dictionary_VR, tag_for_keyword

from imageset_search.datastores.local import dicom_header, importer
from imageset_search.datastores.local.demo import write_dicom_files

CT_IMAGE_STORAGE = b"1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LITTLE = b"1.2.840.10008.1.2.1"
IMPLICIT_LITTLE = b"1.2.840.10008.1.2"
LONG_LENGTH_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"}


def typed(value):
    """The value with each node's exact type, so a str subclass or a tuple for a list counts as a difference."""
    if isinstance(value, dict):
        return ("dict", [(typed(key), typed(item)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(item) for item in value])
    return (type(value).__name__, repr(value))


def reading(path: Path):
    """What the importer makes of a file: the Instance, type-exact, or the skip reason."""
    try:
        instance = importer.read_instance(path)
    except importer.SkipFile as skip:
        return ("skipped", skip.reason)
    return typed([getattr(instance, name) for name in instance.__dataclass_fields__])


def fast_read(path: Path):
    """The elements the fast reader decodes from a file; None when it declines the file or one of its values."""
    header = dicom_header.fast_header(path)
    return dicom_header.fast_elements(header) if header is not None else None


def both_ways(path: Path, monkeypatch) -> tuple[tuple, tuple]:
    """The reading as the importer reads the file, and the same with the fast reader switched off."""
    fast = reading(path)
    with monkeypatch.context() as patched:
        patched.setattr(importer, "fast_header", lambda path: None)
        slow = reading(path)
    return fast, slow


# -- real files -----------------------------------------------------------------------------------------------------


def real_world_folders() -> list[Path]:
    """The real-world files the test extra installs: pydicom's own test and character-set files, pydicom-data's
    larger files (vendors' samples, big endian, deflated, JPEG, multi-frame), deid-data's CT, ultrasound and
    secondary capture files."""
    import data_store
    import deid_data.data
    from pydicom.data.data_manager import DATA_ROOT

    pydicom_data = Path(data_store.__file__).parent / "data"
    pydicom_own = [Path(DATA_ROOT) / "test_files", Path(DATA_ROOT) / "charset_files"]
    return [*pydicom_own, pydicom_data, Path(deid_data.data.__file__).parent]


def test_real_world_and_demo_files_read_the_same_either_way(tmp_path, monkeypatch):
    demo = write_dicom_files(tmp_path / "demo", 40, seed=3)
    files = importer.list_files([*real_world_folders(), tmp_path / "demo"])

    for path in files:
        fast, slow = both_ways(path, monkeypatch)
        assert fast == slow, path.name
    # the comparison is not vacuous: the fast reader itself read these
    taken = [path for path in files if fast_read(path) is not None]
    assert set(demo) <= set(taken)
    assert Path(get_testdata_file("CT_small.dcm")) in taken and len(taken) > len(demo) + 50
    assert Path(get_testdata_file("rtplan.dcm")) in taken  # implicit VR little endian
    assert Path(get_testdata_file("MR_small_implicit.dcm")) in taken  # with "US or SS" elements
    assert len([path for path in taken if "data_store" in path.parts or "deid_data" in path.parts]) > 50


def test_a_header_larger_than_the_first_read_is_read_whole(tmp_path, monkeypatch):
    comments = b"x" * (3 * dicom_header.FIRST_CHUNK)
    path = tmp_path / "long.dcm"
    path.write_bytes(dicom_file(required_uids() + element("TextValue", comments) + pixel_data(1000)))

    fast, slow = both_ways(path, monkeypatch)

    assert dicom_header.fast_header(path) is not None
    assert fast == slow and importer.read_instance(path).instance["TextValue"] == comments.decode()


def test_files_the_fast_reader_declines_are_read_by_pydicom(tmp_path, monkeypatch):
    cases = {
        "big endian": dicom_file(required_uids(), syntax=b"1.2.840.10008.1.2.2"),
        "an ambiguous implicit VR, no PixelRepresentation": dicom_file(
            required_uids(implicit=True) + element("SmallestImagePixelValue", b"\0\0", implicit=True), IMPLICIT_LITTLE
        ),
        "a character set that is not ASCII-compatible": dicom_file(required_uids(b"ISO 2022 IR 87")),
        "known tag as UN": dicom_file(required_uids() + raw_element(tag_for_keyword("PatientID"), "UN", b"PAT-1 ")),
        "truncated": dicom_file(required_uids() + element("StudyDescription", b"CHEST"))[:-3],
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.dcm"
        path.write_bytes(data)
        assert fast_read(path) is None, name
        fast, slow = both_ways(path, monkeypatch)
        assert fast == slow, name


def test_rare_values_in_a_fast_read_file_are_decoded_by_pydicom_one_by_one(tmp_path, monkeypatch):
    cases = {
        "escape sequence": element("PatientName", b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"),
        "malformed number": element("SliceThickness", b"1,5") + element("InstanceNumber", b"7.0"),
        "AT": element("FrameIncrementPointer", struct.pack("<HH", 0x0018, 0x1063)),
        "wrong length": element("Rows", b"\x01\x02\x03"),
        "mended LUT descriptor": raw_element(0x00283002, "SS", struct.pack("<hhh", -2, 0, 16)),
    }
    for name, body in cases.items():
        path = tmp_path / f"{name}.dcm"
        path.write_bytes(dicom_file(required_uids(b"ISO 2022 IR 6\\ISO 2022 IR 87") + body))
        assert fast_read(path) is not None, name
        fast, slow = both_ways(path, monkeypatch)
        assert fast == slow, name
    assert importer.read_instance(tmp_path / "AT.dcm").instance["FrameIncrementPointer"] == "00181063"


def test_escape_sequences_pydicom_leaves_in_text_and_control_characters_are_not_stored(tmp_path, monkeypatch):
    """pydicom 3 decodes ISO 2022 IR 58 text but leaves its `ESC $ ) A` in; the importer removes it, which leaves the
    name as it should read, and drops control characters, whichever reader decoded the value."""
    chinese = "王^小东".encode("gb2312").split(b"^")
    name = b"Wang^XiaoDong=\x1b$)A" + chinese[0] + b"^\x1b$)A" + chinese[1] + b"="
    path = tmp_path / "ir58.dcm"
    body = element("PatientName", name) + element("StudyDescription", b"CHEST\x07\x00\x1b[1m") + element(
        "ImageComments", b"line one\r\nline\ttwo\x0c"
    )
    path.write_bytes(dicom_file(required_uids(b"\\ISO 2022 IR 58") + body))

    fast, slow = both_ways(path, monkeypatch)

    assert fast == slow
    instance = importer.read_instance(path)
    assert instance.patient["PatientName"] == "Wang^XiaoDong=王^小东"
    assert instance.study["StudyDescription"] == "CHEST"
    assert instance.instance["ImageComments"] == "line one\r\nline\ttwo\x0c"  # what DICOM text may hold stays


def test_a_dicomdir_is_known_by_its_content_whatever_its_file_meta_says(tmp_path, monkeypatch):
    records = sequence(tag_for_keyword("DirectoryRecordSequence"), [element("DirectoryRecordType", b"PATIENT ")], False)
    path = tmp_path / "DICOMDIR"
    path.write_bytes(dicom_file(element("FileSetID", b"SET1") + records))  # no class in its meta says DICOMDIR

    fast, slow = both_ways(path, monkeypatch)

    assert fast == slow == ("skipped", "a DICOMDIR (a folder index, not an instance)")


def test_the_us_or_ss_tags_the_reader_settles_are_those_pydicom_settles():
    """The reader names the few retired "US or SS" tags pydicom leaves unsettled rather than importing pydicom's
    private list; this checks the two still agree, so a pydicom upgrade that changes its list is noticed."""
    import pydicom.filewriter
    from pydicom.datadict import DicomDictionary

    pydicom_settles = getattr(pydicom.filewriter, "_AMBIGUOUS_US_SS_TAGS", None)
    if pydicom_settles is None:
        pytest.skip("this pydicom keeps no list of the US or SS tags it settles")
    ambiguous = {tag for tag, entry in DicomDictionary.items() if entry[0] == "US or SS"}
    assert ambiguous - dicom_header._UNSETTLED_US_OR_SS == set(pydicom_settles)


# -- generated raw bytes ----------------------------------------------------------------------------------------------

TEXT_PIECES = [
    "1", "23", "-4", "+5", ".5", "6.", "7e3", "E-2", " ", "\\", "=", "^", "A", "Doe", "\x00", "\t", "ä", "?", "\x1b$B",
    "\x1b(B", ";3",
]  # fmt: skip
NUMBER_KEYWORDS = ["InstanceNumber", "SliceThickness", "PixelSpacing", "ImagePositionPatient", "WindowCenter"]
TEXT_KEYWORDS = [
    "PatientName", "OtherPatientNames", "PatientID", "StudyDescription", "ImageType", "StudyDate", "StudyTime",
    "AcquisitionDateTime", "PatientAge", "ImageComments", "RetrieveAETitle", "RetrieveURL", "LongCodeValue",
    "SeriesNumber", "AccessionNumber", "BodyPartExamined", "FrameOfReferenceUID",
]  # fmt: skip
BINARY_KEYWORDS = [
    "Rows", "SmallestImagePixelValue", "SimpleFrameList", "DiffusionBValue", "ReferencePixelX0",
    "FrameIncrementPointer", "LUTDescriptor", "PixelRepresentation", "PixelRepresentation",
]  # fmt: skip
CHARACTER_SETS = [
    None, b"", b"ISO_IR 100", b"ISO_IR 192", b"ISO_IR 144", b"ISO_IR 6\\ISO 2022 IR 100",
    b"ISO 2022 IR 6\\ISO 2022 IR 87", b"GB18030",
]  # fmt: skip

texts = st.lists(st.sampled_from(TEXT_PIECES), max_size=6).map("".join)
codecs = st.sampled_from(["utf-8", "latin-1"])
text_elements = st.tuples(st.sampled_from(TEXT_KEYWORDS + NUMBER_KEYWORDS), texts, codecs)
binary_elements = st.tuples(st.sampled_from(BINARY_KEYWORDS), st.binary(max_size=12))


@st.composite
def element_lists(draw, implicit: bool, depth: int = 0) -> bytes:
    texts = draw(st.lists(text_elements, max_size=6))
    parts = [element(keyword, text.encode(codec, "replace"), implicit) for keyword, text, codec in texts]
    parts += [element(keyword, raw, implicit) for keyword, raw in draw(st.lists(binary_elements, max_size=3))]
    if draw(st.booleans()):
        vr = draw(st.sampled_from(["LO", "UN", "OB"]))
        parts.append(raw_element(0x00091001, vr, draw(st.binary(max_size=8)), implicit))
    if depth < 2 and draw(st.booleans()):
        items = draw(st.lists(element_lists(implicit, depth + 1), max_size=2))
        tag = draw(st.sampled_from([tag_for_keyword("AnatomicRegionSequence"), 0x00091002]))  # public or private
        parts.append(sequence(tag, items, draw(st.booleans()), implicit))
    return b"".join(draw(st.permutations(parts)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    implicit=st.shared(st.booleans(), key="implicit"),
    character_set=st.sampled_from(CHARACTER_SETS),
    body=st.shared(st.booleans(), key="implicit").flatmap(element_lists),
    cut=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
)
def test_generated_headers_read_the_same_either_way(tmp_path, monkeypatch, implicit, character_set, body, cut):
    syntax = IMPLICIT_LITTLE if implicit else EXPLICIT_LITTLE
    data = dicom_file(required_uids(character_set, implicit) + body + pixel_data(16, implicit), syntax)
    path = tmp_path / "generated.dcm"
    path.write_bytes(data[:-cut] if cut else data)

    fast, slow = both_ways(path, monkeypatch)

    assert fast == slow


# -- writing raw DICOM ------------------------------------------------------------------------------------------------


def raw_element(tag: int, vr: str, value: bytes, implicit: bool = False) -> bytes:
    """One element: tag, then (explicit VR) the VR and a 2- or 4-byte length, or (implicit VR) a 4-byte length."""
    if implicit:
        return struct.pack("<HHL", tag >> 16, tag & 0xFFFF, len(value)) + value
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr.encode()
    if vr in LONG_LENGTH_VRS:
        return head + b"\0\0" + struct.pack("<L", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def element(keyword: str, value: bytes, implicit: bool = False) -> bytes:
    tag = tag_for_keyword(keyword)
    return raw_element(tag, dictionary_VR(tag).split(" ")[0], value, implicit)


def sequence(tag: int, items: list[bytes], undefined: bool, implicit: bool = False) -> bytes:
    """A sequence of items, each and the whole either of undefined length (with delimiters) or of defined length."""
    if not undefined:
        return raw_element(tag, "SQ", b"".join(delimiter(0xE000, len(item)) + item for item in items), implicit)
    body = b"".join(delimiter(0xE000, 0xFFFFFFFF) + item + delimiter(0xE00D) for item in items)
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + (b"" if implicit else b"SQ\0\0")
    return head + struct.pack("<L", 0xFFFFFFFF) + body + delimiter(0xE0DD)


def delimiter(element: int, length: int = 0) -> bytes:
    """An item (FFFE,E000), item delimiter (FFFE,E00D) or sequence delimiter (FFFE,E0DD) head."""
    return struct.pack("<HHL", 0xFFFE, element, length)


def required_uids(character_set: bytes | None = None, implicit: bool = False) -> bytes:
    charset = element("SpecificCharacterSet", character_set, implicit) if character_set is not None else b""
    return charset + b"".join(
        element(keyword, value, implicit)
        for keyword, value in [
            ("SOPClassUID", CT_IMAGE_STORAGE + b"\0"),
            ("SOPInstanceUID", b"1.2.3.4.5.1\0"),
            ("StudyInstanceUID", b"1.2.3.4"),
            ("SeriesInstanceUID", b"1.2.3.4.5\0"),
        ]
    )


def pixel_data(size: int, implicit: bool = False) -> bytes:
    return raw_element(0x7FE00010, "OB", bytes(size), implicit)


def dicom_file(body: bytes, syntax: bytes = EXPLICIT_LITTLE) -> bytes:
    """Preamble, file meta (explicit VR little endian, as the standard has it) and `body` in the given syntax."""
    meta = (
        raw_element(0x00020001, "OB", b"\0\1")
        + raw_element(0x00020002, "UI", CT_IMAGE_STORAGE + b"\0")
        + raw_element(0x00020003, "UI", b"1.2.3.4.5.1\0")
        + raw_element(0x00020010, "UI", syntax + (b"\0" if len(syntax) % 2 else b""))
    )
    return b"\0" * 128 + b"DICM" + raw_element(0x00020000, "UL", struct.pack("<L", len(meta))) + meta + body


# -- the walk ---------------------------------------------------------------------------------------------------------


def test_each_file_is_listed_once_however_it_is_reached(tmp_path, monkeypatch):
    """list_files resolves folders once and links one by one; a file reached by a link, through a linked folder or
    by a path with `..` still counts once, and a dangling link is listed (the import then skips it)."""
    for name in ("a/1.dcm", "a/b/2.dcm", "c/3.dcm"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "c" / "link-to-1.dcm").symlink_to(tmp_path / "a" / "1.dcm")
    (tmp_path / "c" / "relative-link-to-2.dcm").symlink_to(Path("..") / "a" / "b" / "2.dcm")
    (tmp_path / "c" / "dangling.dcm").symlink_to(tmp_path / "gone.dcm")
    (tmp_path / "linked-a").symlink_to(tmp_path / "a")
    monkeypatch.chdir(tmp_path)

    files = importer.list_files(["a", tmp_path / "linked-a" / "1.dcm", "c", "a/../c/3.dcm", tmp_path / "linked-a"])

    assert [str(file) for file in files] == ["a/1.dcm", "a/b/2.dcm", "c/3.dcm", "c/dangling.dcm"]
