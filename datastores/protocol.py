"""The Datastore protocol: what the tool layer asks of any place image sets live.

Every method takes and returns AWS HealthImaging's wire shapes exactly as boto3 does (request keys in camelCase,
`searchCriteria` as AWS takes it, timestamps in responses as timezone-aware UTC datetimes), so the tools have one
path and the local datastore can stand in for the service anywhere. Errors are those of `datastores.errors`.
One method is not AWS's: `token_secret`, the key the tools sign their continuation tokens with (`datastores.tokens`).
"""

from typing import Any, Protocol

from imageset_search.datastores.capabilities import Capabilities


class Datastore(Protocol):
    capabilities: Capabilities  # what it searches beyond SearchImageSets' filters (optional: none declared)

    def search_image_sets(
        self,
        datastore_id: str,
        search_criteria: dict[str, Any] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """SearchImageSets: {"imageSetsMetadataSummaries": [...], "sort": {...}?, "nextToken": str?}.

        A datastore that declares capabilities also takes `refinements={kind: value}` (see
        `datastores.capabilities`) and then returns only the image sets that match them too."""

    def get_image_set(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> dict[str, Any]:
        """GetImageSet: the image set's properties (state, version, timestamps, isPrimary)."""

    def get_image_set_metadata(
        self, datastore_id: str, image_set_id: str, version_id: str | None = None
    ) -> bytes:
        """GetImageSetMetadata: the metadata document as gzip-compressed JSON bytes, as AWS sends it."""

    def list_image_set_versions(
        self,
        datastore_id: str,
        image_set_id: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListImageSetVersions: {"imageSetPropertiesList": [...], "nextToken": str?}."""

    def list_datastores(
        self,
        datastore_status: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListDatastores: {"datastoreSummaries": [...], "nextToken": str?}."""

    def get_datastore(self, datastore_id: str) -> dict[str, Any]:
        """GetDatastore: {"datastoreProperties": {...}}."""

    def token_secret(self) -> bytes:
        """The secret that signs continuation tokens over this datastore; never in the source, never shown."""
