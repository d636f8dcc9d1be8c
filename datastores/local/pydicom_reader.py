"""Read a header through pydicom: every file the fast reader (`dicom_header`) declines comes this way.

pydicom reads what the fast reader does not walk itself (big endian, deflated, files without a preamble, odd
encodings) and says what is wrong with a file that cannot be read; its values go through the same JSON conversion
(`dicom_values`) as the fast reader's, so both give the same Instance.
"""

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imageset_search.datastores.local.dicom_instance import (
    DIRECTORY_RECORD_SEQUENCE_TAG,
    STORE_COUNTED,
    SkipFile,
    check_not_a_dicomdir,
    converted,
    to_instance,
)
from imageset_search.datastores.local.dicom_values import BINARY_VRS, element_value
from imageset_search.datastores.local.records import Instance

_QUIET_TURN = threading.RLock()
# Transfer syntax of a file without file meta, from how pydicom found it encoded: (implicit VR, little endian).
_ENCODING_SYNTAX = {
    (True, True): "1.2.840.10008.1.2",
    (False, True): "1.2.840.10008.1.2.1",
    (False, False): "1.2.840.10008.1.2.2",
}


def pydicom_instance(path: Path) -> Instance:
    """The Instance of a file as pydicom reads it (pixel data never read); raises SkipFile with pydicom's reason."""
    with quiet_pydicom():
        dataset = _read_dataset(path)
        check_not_a_dicomdir(dataset.file_meta.get("MediaStorageSOPClassUID"), DIRECTORY_RECORD_SEQUENCE_TAG in dataset)
        return converted(lambda: to_instance(_elements(dataset), _transfer_syntax(dataset)))


@contextmanager
def quiet_pydicom():
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


def _transfer_syntax(dataset) -> str | None:
    uid = dataset.file_meta.get("TransferSyntaxUID")
    if uid:
        return str(uid)
    return _ENCODING_SYNTAX.get(tuple(dataset.original_encoding))
