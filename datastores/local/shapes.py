"""The AWS response shapes the store's rows become: datastore properties, image set versions, metadata documents.

Field names are botocore's (note ListImageSetVersions' `ImageSetWorkflowStatus` with a capital I); ARNs use the
region "local" and account 000000000000, which fit the model's ARN pattern.
"""

import gzip
import json
from typing import Any

from imageset_search.datastores.instants import from_millis

ARN_PREFIX = "arn:aws:medical-imaging:local:000000000000:datastore/"


def image_set_arn(datastore_id: str, image_set_id: str) -> str:
    return f"{ARN_PREFIX}{datastore_id}/imageset/{image_set_id}"


def datastore_fields(datastore_id: str, name: str, created_at: int, updated_at: int) -> dict[str, Any]:
    """DatastoreSummary and DatastoreProperties (the local store has no KMS key or authorizer)."""
    return {
        "datastoreId": datastore_id,
        "datastoreName": name,
        "datastoreStatus": "ACTIVE",
        "datastoreArn": ARN_PREFIX + datastore_id,
        "createdAt": from_millis(created_at),
        "updatedAt": from_millis(updated_at),
    }


def version_fields(
    image_set: dict[str, Any], version: int, updated_at: int, status_key: str = "imageSetWorkflowStatus"
) -> dict[str, Any]:
    """The properties one version of an image set has in GetImageSet and ListImageSetVersions: the first version
    was made by an import, later ones updated it."""
    return {
        "imageSetId": image_set["id"],
        "versionId": str(version),
        "imageSetState": "ACTIVE",
        status_key: "IMPORTED" if version == 1 else "UPDATED",
        "createdAt": from_millis(image_set["created_at"]),
        "updatedAt": from_millis(updated_at),
        "isPrimary": bool(image_set["is_primary"]),
    }


def metadata_document(
    datastore_id: str, image_set: dict[str, Any], levels_json: str, instance_rows: list[tuple[str, str]]
) -> bytes:
    """GetImageSetMetadata's gzip-compressed JSON, from one version's levels and its (SOP UID, instance node) rows."""
    levels = json.loads(levels_json)
    document = {
        "SchemaVersion": "1.1",
        "DatastoreID": datastore_id,
        "ImageSetID": image_set["id"],
        "Patient": {"DICOM": levels["Patient"]},
        "Study": {
            "DICOM": levels["Study"],
            "Series": {
                image_set["series_uid"]: {
                    "DICOM": levels["Series"],
                    "Instances": {sop_uid: json.loads(node) for sop_uid, node in instance_rows},
                }
            },
        },
    }
    return gzip.compress(json.dumps(document, ensure_ascii=False).encode("utf-8"), mtime=0)
