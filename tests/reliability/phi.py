"""The demo datastore's patient data, and where it turns up in text that must not hold it.

Values are read from the store itself (every summary, every metadata document), so the check follows whatever the
demo holds. A report of leaks names the kind of value, how many and the line numbers, never the values.
"""

import gzip
import json
from collections import Counter

from reliability.integrity import summaries

SUMMARY_KINDS = {
    "DICOMPatientId": "patient ID",
    "DICOMPatientName": "patient name",
    "DICOMPatientBirthDate": "birth date",
    "DICOMStudyInstanceUID": "study UID",
    "DICOMSeriesInstanceUID": "series UID",
}


def values(store, datastore_id: str) -> dict[str, str]:
    """Every patient ID, name (as stored and with ^ read as a space), birth date and UID -> its kind."""
    found: dict[str, str] = {}
    for summary in summaries(store, datastore_id):
        for key, kind in SUMMARY_KINDS.items():
            value = summary["DICOMTags"].get(key)
            if value:
                found[value] = kind
                if kind == "patient name":
                    found[value.replace("^", " ").strip()] = kind
        document = json.loads(gzip.decompress(store.get_image_set_metadata(datastore_id, summary["imageSetId"])))
        for series in document["Study"]["Series"].values():
            found.update(dict.fromkeys(series["Instances"], "instance UID"))
    return found


def leaks(text: str, phi: dict[str, str]) -> str | None:
    """None when `text` holds none of the values; otherwise which kinds, how often and on which lines."""
    present = {value: kind for value, kind in phi.items() if value in text}  # one fast scan per value first
    if not present:
        return None
    kinds: Counter = Counter()
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = [kind for value, kind in present.items() if value in line]
        kinds.update(found)
        lines += [number] if found else []
    return f"{dict(kinds)} on lines {lines[:10]}{' ...' if len(lines) > 10 else ''}"
