"""A QIDO-RS (and WADO-RS metadata) client over `dicomweb-client`, with this project's auth, TLS and error rules.

Every archive's answer is DICOM JSON (see dicom_json.py); every failure is one of `datastores.errors`, worded from
the HTTP status alone: the request's URL carries patient names and IDs in its query, so neither it nor the
library's exception text is ever repeated or logged. dicomweb-client logs study and series UIDs at INFO, so its
logger is held at WARNING.

    client = QidoClient(QidoOptions("https://archive.example/dicom-web", Auth("bearer", token_env="ARCHIVE_TOKEN")))
    client.studies({"ModalitiesInStudy": "MR", "StudyDate": "20190101-20191231"}, limit=100)
"""

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from imageset_search.datastores import errors
from imageset_search.datastores.dicomweb.auth import Auth

DEFAULT_TIMEOUT = 30.0
PLAIN_NAME = re.compile(r"[A-Za-z0-9\s^,=]+")  # as typed: letters every archive matches alike
USER_AGENT = "imageset-search-mcp"

Record = dict[str, Any]  # one DICOM JSON object


@dataclass(frozen=True)
class QidoOptions:
    """Where the archive is and how to reach it. `url` is the DICOMweb service root (QIDO-RS paths follow it:
    `{url}/studies`); TLS certificates are verified unless `verify_ssl` is False, against `ca_bundle` when given."""

    url: str
    auth: Auth = field(default_factory=Auth)
    ca_bundle: str | None = None
    verify_ssl: bool = True
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self):
        if not self.url.startswith(("http://", "https://")):
            raise errors.ValidationException("the DICOMweb URL must start with http:// or https://")


class QidoClient:
    """QIDO-RS searches at the three levels and WADO-RS series metadata; counts the requests it sends (`calls`)."""

    def __init__(self, options: QidoOptions):
        self.options = options
        self.calls = 0
        self._client = None
        self._lock = threading.Lock()

    def studies(
        self, filters: dict[str, Any], limit: int | None = None, offset: int = 0, fuzzy: bool = False
    ) -> list[Record]:
        return self._ask("search_for_studies", filters=filters, limit=limit, offset=offset, fuzzy=fuzzy)

    def series(
        self,
        study_uid: str | None,
        filters: dict[str, Any],
        limit: int | None = None,
        offset: int = 0,
        fuzzy: bool = False,
        fields: list[str] | None = None,
    ) -> list[Record]:
        """Series of one study, or of the whole archive (study None: not every archive allows it; HealthImaging
        does not)."""
        return self._ask(
            "search_for_series", study_uid, filters=filters, limit=limit, offset=offset, fuzzy=fuzzy, fields=fields
        )

    def instances(
        self,
        study_uid: str,
        series_uid: str,
        filters: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Record]:
        return self._ask(
            "search_for_instances", study_uid, series_uid, filters=filters or {}, limit=limit, offset=offset
        )

    def series_metadata(self, study_uid: str, series_uid: str) -> list[Record]:
        """WADO-RS: every instance's metadata in one series, as DICOM JSON (bulk data as URIs)."""
        return self._send(lambda client: client.retrieve_series_metadata(study_uid, series_uid))

    def _ask(self, method: str, *uids: str | None, filters, limit, offset, fuzzy=False, fields=None) -> list[Record]:
        def call(client):
            return getattr(client, method)(
                *uids,
                search_filters=dict(filters) or None,
                limit=limit,
                offset=offset or None,
                fuzzymatching=True if fuzzy else None,
                fields=fields or None,
            )

        return self._send(call)

    def _send(self, call) -> list[Record]:
        client = self._session_client()
        with self._lock:
            self.calls += 1
        try:
            return call(client) or []
        except Exception as exc:  # requests' and the library's errors, mapped by kind, their text (URLs) dropped
            raise self._error(exc) from None

    def _session_client(self):
        """The dicomweb-client instance, built on first use (it imports requests, numpy and pydicom)."""
        with self._lock:
            if self._client is None:
                self._client = _build(self.options)
            return self._client

    def _error(self, exc: Exception) -> errors.DatastoreError:
        import requests

        where = f"the DICOMweb archive at {_origin(self.options.url)}"
        if isinstance(exc, requests.exceptions.JSONDecodeError):
            return errors.InternalServerException(f"{where} sent an answer that is not DICOM JSON")
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            return http_error(exc.response.status_code, where)
        if isinstance(exc, requests.exceptions.SSLError):
            return errors.ServiceUnavailableException(
                f"{where} failed the TLS check: pass --ca-bundle with the CA that signed its certificate"
            )
        if isinstance(exc, requests.RequestException):
            return errors.ServiceUnavailableException(
                f"{where} did not answer ({type(exc).__name__}): check the URL, the network and that it is running"
            )
        if isinstance(exc, errors.DatastoreError):
            return exc
        if isinstance(exc, ValueError):  # dicomweb-client checks the UIDs it puts in a URL
            return errors.ValidationException("a study or series UID sent is not a DICOM UID: digits and dots only")
        return errors.InternalServerException(f"{where} sent an answer this client cannot read ({type(exc).__name__})")


def name_wildcard(name: str) -> str | None:
    """The QIDO-RS PatientName key that finds every name holding the words of `name` (`*longest word*`), for
    archives that match person names in any case (with fuzzymatching); None when the name has letters beyond
    a-z and 0-9, which archives match their own way (accents, other scripts), so only a scan is sure to find them."""
    from imageset_search.datastores.matching import query_words

    words = query_words(name)
    if not words or not PLAIN_NAME.fullmatch(name):
        return None
    return f"*{max(words, key=len)}*"


def http_error(status: int, where: str) -> errors.DatastoreError:
    """A DICOMweb HTTP failure as a datastore error that says what to do about it."""
    if status in (401, 403):
        return errors.AccessDeniedException(
            f"{where} refused the credentials (HTTP {status}): check the ones this server was given for it"
        )
    if status == 404:
        return errors.ResourceNotFoundException(f"{where} has no such resource (HTTP 404): check the URL's path")
    if status == 429:
        return errors.ThrottlingException(f"{where} is throttling requests (HTTP 429): try again shortly")
    if status in (400, 413, 414):
        return errors.ValidationException(
            f"{where} refused the query (HTTP {status}): it does not match on one of the keys sent"
        )
    if status in (502, 503, 504):
        return errors.ServiceUnavailableException(f"{where} is unavailable (HTTP {status}): try again shortly")
    return errors.InternalServerException(f"{where} failed (HTTP {status})")


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL: what an error may name (a path can hold a tenant, a query patient data)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _build(options: QidoOptions):
    import requests
    from dicomweb_client.api import DICOMwebClient

    class Session(requests.Session):
        """Two repairs of what dicomweb-client sends. It percent-encodes a wildcard `*` as %2A, which some archives
        (Orthanc 1.10) then match literally; `*` may stand unencoded in a query (RFC 3986), so it is sent as is. It
        sets a Host header without the port, which names another server on any port but 80 (a checking endpoint
        refuses it, 421); without it the HTTP library names host and port from the URL, as SigV4 signs them."""

        def get(self, url, headers=None, **kwargs):
            headers = {name: value for name, value in (headers or {}).items() if name.lower() != "host"}
            return super().get(url.replace("%2A", "*"), headers=headers, **kwargs)

    logging.getLogger("dicomweb_client").setLevel(logging.WARNING)
    session = Session()
    session.auth = options.auth.requests_auth()
    session.verify = (options.ca_bundle or True) if options.verify_ssl else False
    session.headers["User-Agent"] = USER_AGENT
    return DICOMwebClient(options.url, session=session, timeout=options.timeout)
