"""AWS HealthImaging through boto3, behind the same Datastore protocol as the local store.

The tool layer has one path for both backends, so this class returns exactly what the local store returns for the
same inputs: boto3's response dicts without `ResponseMetadata`, timestamps as aware UTC datetimes, the metadata blob
read in full (still gzip, as the service sends it), and failures as `datastores.errors` kinds (see `aws.errors`).
Retries and backoff are botocore's (`retry_mode`, `max_attempts`: every attempt counted, the first included).
"""

import threading
from pathlib import Path
from typing import Any

from imageset_search.datastores.aws.client import ClientOptions, forget_client, shared_client, start_counting_attempts
from imageset_search.datastores.aws.errors import Call, aws_errors
from imageset_search.datastores.errors import CredentialsError, ValidationException
from imageset_search.datastores.tokens import installation_secret

RETRY_MODES = ("standard", "adaptive", "legacy")


class AwsDatastore:
    """HealthImaging over boto3; the client is built on first use and shared by every thread of the process."""

    def __init__(
        self,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        ca_bundle: str | None = None,
        verify_ssl: bool = True,
        retry_mode: str = "standard",
        max_attempts: int = 3,
        token_secret_file: Path | None = None,
    ):
        if retry_mode not in RETRY_MODES:
            raise ValidationException(f"unknown retry mode {retry_mode!r}: use one of {', '.join(RETRY_MODES)}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationException(f"max_attempts counts every attempt and must be 1 or more, got {max_attempts!r}")
        self.options = ClientOptions(
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            ca_bundle=ca_bundle,
            verify_ssl=verify_ssl,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
        )
        self.token_secret_file = token_secret_file
        self._secret: bytes | None = None
        self._secret_lock = threading.Lock()

    def token_secret(self) -> bytes:
        """The installation's secret that signs the tools' tokens (read, or created, on first use): the service's
        own tokens are not ours to sign, so ours wrap them. Without a file, this process's secret."""
        with self._secret_lock:
            if self._secret is None:
                self._secret = installation_secret(self.token_secret_file)
            return self._secret

    def search_image_sets(
        self,
        datastore_id: str,
        search_criteria: dict[str, Any] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        return self._call(
            "SearchImageSets",
            datastore_id,
            datastoreId=datastore_id,
            searchCriteria=search_criteria,
            maxResults=max_results,
            nextToken=next_token,
        )

    def get_image_set(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> dict[str, Any]:
        return self._call(
            "GetImageSet", datastore_id, datastoreId=datastore_id, imageSetId=image_set_id, versionId=version_id
        )

    def get_image_set_metadata(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> bytes:
        """The gzip blob, read in full inside the error mapping: a stream that breaks mid-read is an error too."""
        response = self._call(
            "GetImageSetMetadata",
            datastore_id,
            read=_read_blob,
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            versionId=version_id,
        )
        return response["imageSetMetadataBlob"]

    def list_image_set_versions(
        self,
        datastore_id: str,
        image_set_id: str,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        return self._call(
            "ListImageSetVersions",
            datastore_id,
            datastoreId=datastore_id,
            imageSetId=image_set_id,
            maxResults=max_results,
            nextToken=next_token,
        )

    def list_datastores(
        self,
        datastore_status: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        return self._call(
            "ListDatastores", None, datastoreStatus=datastore_status, maxResults=max_results, nextToken=next_token
        )

    def get_datastore(self, datastore_id: str) -> dict[str, Any]:
        return self._call("GetDatastore", datastore_id, datastoreId=datastore_id)

    @property
    def client(self):
        """The process's boto3 client for these options (built on first use)."""
        return shared_client(self.options)

    def warm(self) -> None:
        """Build the boto3 client now, sending nothing, so the first call does not wait for it (the server calls
        this in the background once a host has initialized)."""
        self.client  # noqa: B018  (building it is the point)

    def _call(self, operation: str, datastore_id: str | None, read=None, **params: Any) -> dict[str, Any]:
        """One boto3 call with the unset parameters left out (boto3 rejects None) and ResponseMetadata dropped;
        `read` finishes the response inside the error mapping (a streamed body can still fail)."""
        from botocore import xform_name  # boto3's method names; imported here to keep botocore out of start-up

        sent = {name: value for name, value in params.items() if value is not None}
        endpoint = self.options.endpoint_url or f"HealthImaging in {self.options.region or 'the configured region'}"
        start_counting_attempts()
        try:
            with aws_errors(Call(operation, datastore_id, endpoint, sent)):
                response = getattr(self.client, xform_name(operation))(**sent)
                if read:
                    response = read(response)
        except CredentialsError:
            # A client finds its credentials when it is built: after `aws sso login` or new keys, build it again.
            forget_client(self.options)
            raise
        response.pop("ResponseMetadata", None)
        return response


def _read_blob(response: dict[str, Any]) -> dict[str, Any]:
    """GetImageSetMetadata's streamed body as bytes (still gzip: botocore does not decode Content-Encoding)."""
    blob = response["imageSetMetadataBlob"]
    try:
        return {**response, "imageSetMetadataBlob": blob.read()}
    finally:
        blob.close()

