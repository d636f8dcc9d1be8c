"""`--generate-cli-skeleton input|output`: sample request and response documents built from botocore's model.

The AWS CLI builds its skeletons from the same service model, but picks enum values at random; this picks the
first, so the skeleton is the same on every run. Input skeletons are what `--cli-input-json` reads back.
"""

from datetime import datetime
from typing import Any

OPERATION = "SearchImageSets"
_EPOCH = datetime(1970, 1, 1)


def operation_model():
    """The SearchImageSets model from botocore's bundled medical-imaging definition (no network, no credentials)."""
    import botocore.session

    service = botocore.session.get_session().get_service_model("medical-imaging")
    return service.operation_model(OPERATION)


def _sample(shape, name: str, for_output: bool, stack: tuple[str, ...] = ()) -> Any:
    if shape.name in stack:
        return {}
    stack = (*stack, shape.name)
    if shape.type_name == "structure":
        return {member: _sample(child, member, for_output, stack) for member, child in shape.members.items()}
    if shape.type_name == "list":
        return [_sample(shape.member, name, for_output, stack)]
    if shape.type_name == "map":
        return {"KeyName": _sample(shape.value, name, for_output, stack)}
    if shape.type_name == "string":
        return name if for_output else (shape.enum[0] if shape.enum else "")
    if shape.type_name in ("integer", "long"):
        return 0
    if shape.type_name in ("float", "double"):
        return 0.0
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return _EPOCH.isoformat()
    return ""


def input_skeleton() -> dict[str, Any]:
    """datastoreId, searchCriteria (the whole filter union and sort), maxResults, nextToken: as the AWS CLI prints."""
    return _sample(operation_model().input_shape, OPERATION, for_output=False)


def output_skeleton() -> dict[str, Any]:
    """imageSetsMetadataSummaries (every summary field and DICOM tag), sort, nextToken, with member names as values."""
    return _sample(operation_model().output_shape, OPERATION, for_output=True)
