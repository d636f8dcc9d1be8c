"""Argument values that are valid against the demo datastore, by argument name, for filling in tool calls.

A test that sends one bad value needs the tool's other required arguments to be right, or the refusal is about
them; a test that proves tools read-only needs calls that do real work. Both fill arguments in from here.
"""

from typing import Any

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID

VALID: dict[str, Any] = {
    "datastore_id": DEMO_DATASTORE_ID,
    "image_set_id": DOCUMENTED_IMAGE_SET_ID,
    "version": 1,
    "patient_id": "SUBJECT08701",
    "study_instance_uid": "1.2.840.99999999.84710745.943275268089",
    "study_date": "1990s",
    "modality": "CT",
    "max_items": 5,
    "detail": "full",
    "attributes": ["Modality", "SOPClassUID"],
    "include_instances": True,
    "max_instances": 3,
    "instance_offset": 0,
    "status": "ACTIVE",
}


def required(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema's required arguments, valid; a required name missing from VALID fails the test by name."""
    missing = [name for name in schema.get("required", ()) if name not in VALID]
    assert not missing, f"add a valid value for {missing} to tests/reliability/valid.py"
    return {name: VALID[name] for name in schema.get("required", ())}


def every_known(schema: dict[str, Any]) -> dict[str, Any]:
    """All the schema's arguments that VALID knows: a call that uses as much of the tool as one call can."""
    return {name: VALID[name] for name in schema.get("properties", {}) if name in VALID}


def camel(name: str) -> str:
    """The datastore's spelling of an argument (next_token -> nextToken), which its own refusals use."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
