"""`--debug`: every library's DEBUG log on stderr, as the AWS CLI gives, with patient data masked.

botocore's debug log quotes request and response bodies, which carry patient IDs, names, birth dates and UIDs.
Each record is masked after formatting, so nothing a library logs can carry them out: values of DICOM keys (in
JSON or Python repr form) and anything shaped like a DICOM UID become "<redacted>".
"""

import logging
import re
import sys

REDACTED = "<redacted>"
# "DICOMPatientId": "X", 'PatientName': 'X', DICOMStudyDate=X ... : the key stays, the value goes.
_KEYED_VALUE = re.compile(
    r"""(?P<key>["']?\b(?:DICOM\w+|Patient\w*|Study\w*|Series\w*|AccessionNumber|\w*InstanceUID)["']?\s*[:=]\s*)"""
    r"""(?:(?P<quote>\\?["'])(?P<quoted>.*?)(?P=quote)|(?P<bare>[^\s,;&{}\[\]"']+))"""
)
# A DICOM UID: digits in five or more dot-separated parts (more than an IPv4 address or a version number).
_UID = re.compile(r"\b\d+(?:\.\d+){4,}\b")


def redact(text: str) -> str:
    """`text` with DICOM attribute values and UID-shaped numbers masked."""

    def mask(match: re.Match) -> str:
        quote = match.group("quote")
        return f"{match.group('key')}{quote}{REDACTED}{quote}" if quote else f"{match.group('key')}{REDACTED}"

    return _UID.sub(REDACTED, _KEYED_VALUE.sub(mask, text))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def enable_debug_logging(stream=None) -> logging.Handler:
    """Send DEBUG records of every logger to stderr, masked; returns the handler so a caller can remove it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler
