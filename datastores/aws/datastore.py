"""AWS HealthImaging through boto3, behind the same Datastore protocol as the local store.

The tool layer has one path for both backends, so this class returns exactly what the local store returns for the
same inputs: boto3's response dicts without `ResponseMetadata`, timestamps as aware UTC datetimes, the metadata blob
read in full (still gzip, as the service sends it), and failures as `datastores.errors` kinds (see `aws.errors`).
Retries and backoff are botocore's (`retry_mode`, `max_attempts`: every attempt counted, the first included).
"""

from pathlib import Path
from typing import Any

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores.aws import qido_path
from imageset_search.datastores.aws.client import (
    ClientOptions,
    forget_client,
    is_aws_host,
    shared_client,
    start_counting_attempts,
)
from imageset_search.datastores.aws.errors import Call, aws_errors
from imageset_search.datastores.capabilities import check_refinements
from imageset_search.datastores.errors import CredentialsError, ValidationException
from imageset_search.datastores.tokens import InstallationSecret

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
        qido: bool = True,
    ):
        """`qido`: narrow modality and patient-name refinements to studies through HealthImaging's DICOMweb
        QIDO-RS (see qido_path.py); False scans them as SearchImageSets pages only."""
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
        self.capabilities = dict(qido_path.CAPABILITIES) if qido else {}
        self._qido = qido_path.QidoPath(self._qido_client) if qido else None
        self._qido_clients: dict[str, Any] = {}
        self.token_secret_file = token_secret_file
        self._secret = InstallationSecret(token_secret_file)

    def token_secret(self) -> bytes:
        """The installation's secret that signs the tools' tokens (read, or created, on first use): the service's
        own tokens are not ours to sign, so ours wrap them. Without a file, this process's secret."""
        return self._secret.get()

    def search_image_sets(
        self,
        datastore_id: str,
        search_criteria: dict[str, Any] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        refinements: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """SearchImageSets; with `refinements` (see datastores.capabilities) the DICOMweb path narrows them."""
        if check_refinements(refinements, self.capabilities) and self._qido is not None:
            return self._qido.search(
                datastore_id, search_criteria, refinements, max_results, next_token, self._search_page(datastore_id)
            )
        return self._search(datastore_id, search_criteria, max_results, next_token)

    def _search_page(self, datastore_id: str):
        return lambda criteria, max_results, token: self._search(datastore_id, criteria, max_results, token)

    def _search(
        self, datastore_id: str, search_criteria: dict[str, Any] | None, max_results: int | None, next_token: str | None
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

    def _qido_client(self, datastore_id: str):
        """The QIDO-RS client of one datastore: HealthImaging's DICOMweb host in the client's region (or the custom
        endpoint, which serves both APIs), SigV4-signed with the same credentials, TLS settings and read timeout."""
        from imageset_search.datastores.dicomweb.auth import Auth
        from imageset_search.datastores.dicomweb.qido import DEFAULT_TIMEOUT, QidoClient, QidoOptions

        if datastore_id not in self._qido_clients:
            _checked_datastore_id(datastore_id)
            meta = self.client.meta
            root = meta.endpoint_url
            if is_aws_host(root):
                root = f"https://dicom-medical-imaging.{meta.region_name}.amazonaws.com"
            self._qido_clients[datastore_id] = QidoClient(
                QidoOptions(
                    f"{root.rstrip('/')}/datastore/{datastore_id}",
                    Auth("sigv4", region=meta.region_name, profile=self.options.profile),
                    ca_bundle=self.options.ca_bundle,
                    verify_ssl=self.options.verify_ssl,
                    timeout=self.options.read_timeout or DEFAULT_TIMEOUT,
                )
            )
        return self._qido_clients[datastore_id]

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



def _checked_datastore_id(datastore_id: Any) -> None:
    """A datastore id goes into the DICOMweb URL's path: only the service's own form may."""
    if not service.is_id(datastore_id):
        raise ValidationException("datastoreId must be 32 characters from 0-9 and a-z")
