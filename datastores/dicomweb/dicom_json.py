"""The DICOM JSON model (PS3.18 Annex F) both ways: keyword/value attributes to DICOM JSON, and DICOM JSON back.

QIDO-RS answers in this model (`{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}`); the local store keeps attributes
by keyword. One module converts between them, so the QIDO-RS routes that serve the local store and the clients that
read an archive agree on every tag, VR and value form. pydicom's data dictionary supplies tags and VRs.
"""

from typing import Any

# Whole-number VRs are JSON numbers in the model; IS and DS are numbers too (PS3.18 F.2.3).
NUMBER_VRS = {"IS", "DS", "SL", "SS", "UL", "US", "FL", "FD", "SV", "UV"}


def tag_of(keyword: str) -> str | None:
    """The 8-hex-digit tag of a DICOM keyword ("StudyDate" -> "00080020"); None for a keyword DICOM lacks."""
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    return None if tag is None else f"{tag:08X}"


def keyword_of(tag: str) -> str | None:
    """The keyword of an 8-hex-digit tag ("00080020" -> "StudyDate"); None for an unknown or malformed tag."""
    from pydicom.datadict import keyword_for_tag

    if len(tag) != 8:
        return None
    try:
        return keyword_for_tag(int(tag, 16)) or None
    except ValueError:
        return None


def vr_of(keyword: str) -> str:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    vr = dictionary_VR(tag_for_keyword(keyword))
    return vr.split(" or ")[0]  # "US or SS": the first, as the local store's values are unsigned counts here


def element(keyword: str, value: Any, vr: str | None = None) -> dict[str, Any]:
    """One attribute as a DICOM JSON element: {"vr": ..., "Value": [...]}; no "Value" for an empty one."""
    vr = vr or vr_of(keyword)
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v is not None and v != ""]
    if not values:
        return {"vr": vr}
    if vr == "PN":
        values = [v if isinstance(v, dict) else {"Alphabetic": str(v)} for v in values]
    elif vr in NUMBER_VRS:
        values = [_number(v) for v in values]
    elif vr != "SQ":
        values = [str(v) for v in values]
    return {"vr": vr, "Value": values}


def dataset(attributes: dict[str, Any], vrs: dict[str, str] | None = None) -> dict[str, Any]:
    """Keyword -> value attributes as one DICOM JSON object, tags in ascending order; keywords DICOM lacks are
    left out."""
    found = {}
    for keyword, value in attributes.items():
        tag = tag_of(keyword)
        if tag is not None:
            found[tag] = element(keyword, value, (vrs or {}).get(keyword))
    return dict(sorted(found.items()))


def values(record: dict[str, Any], keyword: str) -> list[Any]:
    """Every value of `keyword` in a DICOM JSON object; person names as their alphabetic form."""
    found = record.get(tag_of(keyword) or "", {}).get("Value") or []
    return [v.get("Alphabetic", "") if isinstance(v, dict) else v for v in found]


def value(record: dict[str, Any], keyword: str) -> Any:
    """The first value of `keyword` in a DICOM JSON object, or None."""
    found = values(record, keyword)
    return found[0] if found else None


def _number(raw: Any) -> int | float | str:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text
