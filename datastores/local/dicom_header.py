"""The fast header reader: a DICOM header walked from its raw bytes, once, to the pixel data, without pydicom.

pydicom builds a Dataset of DataElement objects and converts every value through its own layers; for the files
nearly every export writes (preamble, little endian, explicit or implicit VR, an ASCII-compatible first character
set) this reader walks the raw bytes itself and gives the same elements, faster. A file it cannot walk exactly as
pydicom does (big endian, deflated, a known tag as UN, an ambiguous implicit VR, a truncated header, ...) it
declines, and pydicom reads that file (`pydicom_reader`); a single value it cannot decode exactly (AT, ISO 2022
escapes, malformed numbers, ...) pydicom converts on its own.

Each file is read once, from its start to the pixel data: the first read takes 64 KiB, and a longer header is read
on from where that read ended. The contents of a private sequence of defined length are never walked: its length
says where it ends, and nothing private is imported.
"""

import codecs
import functools
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imageset_search.datastores.local.dicom_instance import DICOMDIR_CLASS_UID, STORE_COUNTED
from imageset_search.datastores.local.dicom_values import (
    BINARY_VRS,
    NotDecoded,
    element_value,
    raw_json_value,
    raw_value,
)
from imageset_search.datastores.local.pydicom_reader import quiet_pydicom

FIRST_CHUNK = 64 * 1024
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00009, 0x7FE00008})  # where pydicom's stop_before_pixels stops
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LUT_DESCRIPTORS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})  # pydicom mends these when SS
# Retired "US or SS" attributes that pydicom leaves ambiguous instead of settling them from PixelRepresentation.
_UNSETTLED_US_OR_SS = frozenset({0x00280071, 0x00281100, 0x00281111, 0x00281112, 0x00281113})
_LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"})
_SHORT_LENGTH_VRS = frozenset({
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "SV", "TM",
    "UI", "UL", "US", "UV",
})  # fmt: skip
# An explicit VR element's two VR bytes -> (VR, whether a 4-byte length follows two reserved bytes).
_EXPLICIT_VRS = {vr.encode(): (vr, vr in _LONG_LENGTH_VRS) for vr in _LONG_LENGTH_VRS | _SHORT_LENGTH_VRS}
_CHARACTER_SET_TAG = 0x00080005
_SOP_CLASS_TAG, _SYNTAX_TAG = 0x00020002, 0x00020010
_IMPLICIT_LITTLE_ENDIAN = "1.2.840.10008.1.2"
_PIXEL_REPRESENTATION_TAG = 0x00280103
_ASCII_COMPATIBLE = re.compile(r"^(iso8859-\d+|utf-8|ascii)$")
_SHORT_LENGTH = struct.Struct("<H")
_ITEM_HEAD = struct.Struct("<HHL")
_LENGTH = struct.Struct("<L")


class _Declined(Exception):
    """The fast reader leaves this file to pydicom."""


class _Truncated(Exception):
    """The file ends inside its header."""


def _declined():
    raise _Declined


@dataclass(frozen=True)
class FastHeader:
    """A header as the fast reader found it: tag -> (VR, raw bytes, or a list of item dicts for a sequence).

    Private elements are not kept: nothing private is imported."""

    elements: dict[int, tuple[str, Any]]
    syntax: str


def fast_header(path: Path) -> FastHeader | None:
    """The raw header of a little endian file with preamble, walked without pydicom; None when the fast reader
    declines it (pydicom reads it then, and says what is wrong with it if anything is)."""
    try:
        with open(path, "rb") as handle:
            return _parse_file(_Source(handle))
    except Exception:  # _Declined, _Truncated, an OSError, or bytes that break the walk
        return None


def fast_elements(header: FastHeader) -> list[tuple[str, str, Any]] | None:
    """(keyword, VR, JSON value) of each element pydicom's reading keeps, decoded exactly as it decodes them; None
    when a value needs decoding this reader does not do (then pydicom reads the whole file)."""
    try:
        character_set = header.elements.get(_CHARACTER_SET_TAG)
        return _kept_elements(header.elements, _encodings(character_set), character_set)
    except Exception:  # _Declined, or a value the fast decoding does not expect
        return None


class _Source:
    """A file's bytes from its start, read on in growing reads as the walk needs more; what is read stays read."""

    def __init__(self, handle):
        self.handle = handle
        self.data = handle.read(FIRST_CHUNK)
        self.at_end = len(self.data) < FIRST_CHUNK

    def holding(self, end: int) -> bytes:
        """The bytes read so far, at least `end` of them; raises _Truncated when the file is shorter."""
        while end > len(self.data):
            if self.at_end:
                raise _Truncated
            wanted = max(end - len(self.data), len(self.data))  # at least double, so a long header takes few reads
            more = self.handle.read(wanted)
            self.at_end = len(more) < wanted
            self.data += more
        return self.data

    def ends_at(self, position: int) -> bool:
        """Whether the file ends exactly at `position` (reading on to find out if need be)."""
        try:
            self.holding(position + 1)
        except _Truncated:
            return len(self.data) == position
        return False


def _parse_file(source: _Source) -> FastHeader:
    if source.data[128:132] != b"DICM":
        raise _Declined
    walk = _Walk(source, implicit=False)
    meta, position = walk.elements(132, None, lambda tag: tag >> 16 != 0x0002)
    syntax = _uid(meta.get(_SYNTAX_TAG))
    walk.implicit = syntax == _IMPLICIT_LITTLE_ENDIAN
    if not (walk.implicit or syntax in _explicit_little_endian_syntaxes()):
        raise _Declined
    if _uid(meta.get(_SOP_CLASS_TAG)) == DICOMDIR_CLASS_UID or walk.implicit and _looks_explicit(source, position):
        raise _Declined
    elements, stopped_at = walk.elements(position, None, _PIXEL_TAGS.__contains__)
    if not elements:
        raise _Declined
    if walk.implicit:
        _settle_ambiguous_vrs(elements)
    elif not source.ends_at(stopped_at):
        walk.check_explicit_head(stopped_at)  # pydicom reads the pixel data element's whole head before it stops
    return FastHeader(elements, syntax)


def _looks_explicit(source: _Source, position: int) -> bool:
    """Whether an implicit VR dataset starts as an explicit one would (two capitals after the tag): pydicom then
    reads it as explicit VR, and so this reader leaves it to pydicom."""
    try:
        head = source.holding(position + 6)[position + 4 : position + 6]
    except _Truncated:
        return False
    return all(0x40 < byte < 0x5B for byte in head)


class _UndefinedLengthItems(list):
    """The items of a sequence of undefined length, which pydicom reads as it walks the file rather than when its
    value is first asked for; that shows in what pydicom loses on the way (`_pixel_representation_decodes`)."""


class _Walk:
    """One walk over a file's elements, in its transfer syntax (implicit or explicit VR, little endian)."""

    def __init__(self, source: _Source, implicit: bool):
        self.source = source
        self.implicit = implicit
        self.dictionary = _dictionary()

    def elements(self, position: int, end: int | None, stop=None) -> tuple[dict[int, tuple[str, Any]], int]:
        """The elements from `position`: at the top level (`stop` given), to the first tag `stop` accepts or to the
        file's end; in an item, to `end` or (undefined length: `end` None) to the item delimiter. A private element
        is only walked past. A repeated tag keeps its first place and its last value, as in pydicom's Dataset.

        This is the reader's inner loop, so each element's head is read here rather than in a helper."""
        source, implicit, dictionary = self.source, self.implicit, self.dictionary
        data = source.data
        elements: dict[int, tuple[str, Any]] = {}
        while end is None or position < end:
            if position + 8 > len(data):
                if stop is not None and source.ends_at(position):
                    return elements, position
                data = source.holding(position + 8)
            group, number, length = _ITEM_HEAD.unpack_from(data, position)
            tag = group << 16 | number
            if stop is not None:
                if stop(tag):
                    return elements, position
            elif tag == _ITEM_END and end is None:
                return elements, position + 8
            if group == 0xFFFE:
                raise _Declined
            start = position + 8
            if implicit:  # the dictionary's VR; "" for a tag it does not know (private or unknown: never kept)
                entry = dictionary.get(tag)
                vr = entry[0] if entry else ""
            else:
                vr, long_length = _EXPLICIT_VRS.get(data[position + 4 : position + 6]) or _declined()
                if long_length:
                    if position + 12 > len(data):
                        data = source.holding(position + 12)
                    length, start = _LENGTH.unpack_from(data, position + 8)[0], position + 12
                else:
                    length >>= 16  # the 2-byte length after the 2-byte VR
            private = group & 1
            if vr == "SQ" or (implicit and not vr and length == _UNDEFINED):  # an unknown tag's, read as a sequence
                if private and length != _UNDEFINED:  # its end is known, and nothing private is kept: skip its items
                    position = start + length
                    if position > len(data):
                        data = source.holding(position)
                    continue
                value, position = self._items(start, None if length == _UNDEFINED else start + length)
                data = source.data
            elif length == _UNDEFINED or (vr == "UN" and not private):
                raise _Declined  # pydicom reads these as sequences or by the dictionary's VR
            else:
                position = start + length
                if position > len(data):
                    data = source.holding(position)
                if private:
                    continue
                value = data[start:position]
            elements[tag] = (vr, value)
        if position != end:
            raise _Declined
        return elements, position

    def check_explicit_head(self, position: int) -> None:
        """Decline or raise _Truncated unless a whole explicit VR element head starts at `position`."""
        _vr, long_length = _EXPLICIT_VRS.get(self.source.data[position + 4 : position + 6]) or _declined()
        if long_length:
            self.source.holding(position + 12)

    def _items(self, position: int, end: int | None) -> tuple[list[dict[int, tuple[str, Any]]], int]:
        """A sequence's items, to `end` or (undefined length) to the sequence delimiter."""
        items = []
        data = self.source.data
        while end is None or position < end:
            if position + 8 > len(data):
                data = self.source.holding(position + 8)
            group, number, length = _ITEM_HEAD.unpack_from(data, position)
            tag = group << 16 | number
            if tag == _SEQUENCE_END and end is None:
                return _UndefinedLengthItems(items), position + 8
            if tag != _ITEM:
                raise _Declined
            item, position = self.elements(position + 8, None if length == _UNDEFINED else position + 8 + length)
            data = self.source.data
            if self.implicit and any(" or " in vr and vr != "OB or OW" for vr, _value in item.values()):
                raise _Declined  # VRs pydicom settles from the item's ancestors (explicit VRs are never ambiguous)
            items.append(item)
        if position != end:
            raise _Declined
        return items, position


def _settle_ambiguous_vrs(elements: dict[int, tuple[str, Any]]) -> None:
    """Give the top level's "US or SS" elements the VR pydicom settles on from PixelRepresentation (its VR enum, as
    pydicom leaves it); "OB or OW" stays, binary either way. Any other ambiguity, or one pydicom settles by rules
    this reader does not follow (no PixelRepresentation, LUT descriptors), declines the file."""
    for tag, (vr, raw) in elements.items():
        if " or " not in vr or vr == "OB or OW":
            continue
        if vr != "US or SS" or tag in _UNSETTLED_US_OR_SS or tag in _LUT_DESCRIPTORS:
            raise _Declined
        elements[tag] = (_pixel_vr(elements.get(_PIXEL_REPRESENTATION_TAG)), raw)


def _pixel_vr(pixel_representation: tuple[str, Any] | None) -> str:
    from pydicom.valuerep import VR

    if pixel_representation is None or pixel_representation[0] != "US" or len(pixel_representation[1]) != 2:
        raise _Declined
    return VR.US if _SHORT_LENGTH.unpack(pixel_representation[1])[0] == 0 else VR.SS


@functools.cache
def _dictionary() -> dict:
    from pydicom.datadict import DicomDictionary

    return DicomDictionary


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


# -- values ---------------------------------------------------------------------------------------------------------


def _encodings(element: tuple[str, Any] | None) -> tuple[str, ...]:
    """The codecs pydicom decodes text with for this Specific Character Set; declined unless the first (the one
    for text without escape sequences) is ASCII-compatible."""
    if element is not None and element[0] != "CS":
        raise _Declined
    return _codecs(element[1] if element else b"")


@functools.lru_cache(maxsize=64)
def _codecs(raw: bytes) -> tuple[str, ...]:
    from pydicom.charset import convert_encodings

    with quiet_pydicom():
        encodings = tuple(convert_encodings(raw_value("CS", raw, "latin-1")))
    if not _ASCII_COMPATIBLE.match(codecs.lookup(encodings[0]).name):
        raise _Declined
    return encodings


def _kept_elements(
    elements: dict[int, tuple[str, Any]], encodings: tuple[str, ...], character_set: tuple[str, Any] | None
) -> list[tuple[str, str, Any]]:
    """(keyword, VR, JSON value) of each element pydicom's reading keeps, decoded from the raw bytes; like it, this
    leaves out an element whose value pydicom cannot decode. An item may repeat the file's Specific Character Set
    (`character_set`, as vendors' items often do); an item with another one is declined."""
    kept = []
    dictionary = _dictionary()
    encoding = encodings[0]
    for tag, (vr, raw) in elements.items():
        if not tag & 0xFFFF or vr in BINARY_VRS:
            continue
        entry = dictionary.get(tag)
        keyword = entry[4] if entry else ""
        if not keyword or keyword in STORE_COUNTED:
            continue
        if vr == "SQ":
            if not isinstance(raw, _UndefinedLengthItems) and not _pixel_representation_decodes(elements, encodings):
                continue
            value = element_value(vr, raw, lambda item: _item_value(item, encodings, character_set))
        else:
            try:
                if tag in _LUT_DESCRIPTORS and vr == "SS":
                    raise NotDecoded("a LUT descriptor pydicom mends")
                value = raw_json_value(vr, raw, encoding)
            except NotDecoded:
                decoded = _pydicom_decoded(tag, vr, raw, encodings)
                if decoded is _UNDECODABLE:
                    continue
                try:
                    value = element_value(vr, decoded, None)
                except Exception:
                    continue
        kept.append((keyword, vr, value))
    return kept


_UNDECODABLE = object()


def _item_value(
    item: dict[int, tuple[str, Any]], encodings: tuple[str, ...], character_set: tuple[str, Any] | None
) -> dict[str, Any]:
    if item.get(_CHARACTER_SET_TAG, character_set) != character_set:
        raise _Declined  # pydicom decodes this item's text in its own character set
    return {keyword: value for keyword, _vr, value in _kept_elements(item, encodings, character_set)}


def _pixel_representation_decodes(elements: dict[int, tuple[str, Any]], encodings: tuple[str, ...]) -> bool:
    """pydicom decodes a level's PixelRepresentation whenever it decodes a sequence of defined length there (to
    settle ambiguous VRs in the items), and loses the sequence when that fails; so does this reader."""
    element = elements.get(_PIXEL_REPRESENTATION_TAG)
    return element is None or _decoded(_PIXEL_REPRESENTATION_TAG, *element, encodings) is not _UNDECODABLE


def _decoded(tag: int, vr: str, raw: bytes, encodings: tuple[str, ...]) -> Any:
    """The element's value as pydicom gives it: decoded here, or by pydicom itself for the rare values `raw_value`
    declines (AT, escape sequences, malformed numbers, LUT descriptors pydicom mends); `_UNDECODABLE` when pydicom
    raises, where pydicom's reading would leave the element out."""
    if not (tag in _LUT_DESCRIPTORS and vr == "SS"):
        try:
            return raw_value(vr, raw, encodings[0])
        except NotDecoded:
            pass
    return _pydicom_decoded(tag, vr, raw, encodings)


def _pydicom_decoded(tag: int, vr: str, raw: bytes, encodings: tuple[str, ...]) -> Any:
    """The element's value as pydicom's own conversion gives it; `_UNDECODABLE` when pydicom raises."""
    from pydicom.dataelem import RawDataElement, convert_raw_data_element
    from pydicom.tag import BaseTag

    element = RawDataElement(BaseTag(tag), vr, len(raw), raw, 0, False, True)
    try:
        with quiet_pydicom():
            return convert_raw_data_element(element, encoding=list(encodings), ds=None).value
    except Exception:
        return _UNDECODABLE
