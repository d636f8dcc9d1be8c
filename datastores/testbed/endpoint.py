"""A local HTTP endpoint that speaks AWS HealthImaging's REST API over any Datastore (normally the local store).

It exists so the AWS datastore can be proven for real: real boto3 and the real AWS CLI sign, serialize, retry and
page requests over HTTP to it, unchanged, and it answers as the service does. Routes, query parameters, JSON bodies,
epoch-second timestamps, the gzip metadata blob and the error format (`x-amzn-ErrorType` header plus
`{"message": ...}`, AWS's status codes) follow botocore's model of the service (rest-json, 2023-07-19).

Read-only: it serves the six read operations, the three DICOMweb QIDO-RS searches (DICOM JSON, see qido.py) and
nothing that writes. Every request first passes `gate.Gate`: the Host must name this endpoint, an Origin must be its
own, a SigV4 signature must be well-formed (the secret is not checked, so any key pair works) and a body must be
declared JSON. It binds loopback by default.

From a test:

    with start_endpoint(store, faults=Faults(throttle=0.3)) as endpoint:
        AwsDatastore(endpoint_url=endpoint.url, region="us-east-1").search_image_sets(...)
        endpoint.faults = Faults(fail="1-")      # swap faults at any time; counts restart
        endpoint.faults = Faults(fail="2-", operations="SearchImageSets")  # only searches count and fail
        endpoint.faults.requests                 # requests seen (of those operations) since the faults were set
"""

import json
import logging
import re
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from imageset_search.datastores.errors import DatastoreError, ValidationException
from imageset_search.datastores.healthimaging import PAGE_MAX, PAGE_MIN
from imageset_search.datastores.instants import aware
from imageset_search.datastores.testbed.faults import ANSWERS, Faults
from imageset_search.datastores.protocol import Datastore
from imageset_search.datastores.testbed.gate import Gate
from imageset_search.datastores.validation import invalid

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TIMESTAMP_FILTER_KEYS = ("createdAt", "updatedAt")
STORE_THREADS = 4
MAX_BODY_BYTES = 1 << 20


@dataclass
class Request:
    """One parsed call: the route's path parameters, the query string (one value per name) and the raw body."""

    path: dict[str, str]
    query: dict[str, str]
    body: bytes

    def integer(self, name: str) -> int | None:
        """A numeric query parameter; range checks are the datastore's, as in the service."""
        value = self.query.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid(name, f"Member must be an integer between {PAGE_MIN} and {PAGE_MAX}") from None

    def search_criteria(self) -> dict[str, Any] | None:
        """The body is the bare searchCriteria object; its epoch-second instants become UTC datetimes."""
        if not self.body.strip():
            return None
        try:
            criteria = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise ValidationException(
                "the request body is not JSON: send the searchCriteria object, e.g. {} or "
                '{"filters": [{"values": [{"DICOMPatientId": "..."}], "operator": "EQUAL"}]}'
            ) from None
        return instants_from_wire(criteria)


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern
    call: Callable[[Datastore, Request], Any]


def route(operation: str, method: str, template: str, call: Callable[[Datastore, Request], Any]) -> Route:
    """A route from botocore's URI template: each label matches one percent-encoded path segment, empty included
    (botocore sends an empty id as `//`: the datastore answers it with its own validation error)."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]*)", template)
    return Route(operation, method, re.compile(f"^{regex}$"), call)


IMAGE_SET = "/datastore/{datastoreId}/imageSet/{imageSetId}"
ROUTES = [
    route(
        "SearchImageSets",
        "POST",
        "/datastore/{datastoreId}/searchImageSets",
        lambda store, r: store.search_image_sets(
            r.path["datastoreId"], r.search_criteria(), r.integer("maxResults"), r.query.get("nextToken")
        ),
    ),
    route(
        "GetImageSet",
        "POST",
        IMAGE_SET + "/getImageSet",
        lambda store, r: store.get_image_set(r.path["datastoreId"], r.path["imageSetId"], r.query.get("version")),
    ),
    route(
        "GetImageSetMetadata",
        "POST",
        IMAGE_SET + "/getImageSetMetadata",
        lambda store, r: store.get_image_set_metadata(
            r.path["datastoreId"], r.path["imageSetId"], r.query.get("version")
        ),
    ),
    route(
        "ListImageSetVersions",
        "POST",
        IMAGE_SET + "/listImageSetVersions",
        lambda store, r: store.list_image_set_versions(
            r.path["datastoreId"], r.path["imageSetId"], r.integer("maxResults"), r.query.get("nextToken")
        ),
    ),
    route(
        "ListDatastores",
        "GET",
        "/datastore",
        lambda store, r: store.list_datastores(
            r.query.get("datastoreStatus"), r.integer("maxResults"), r.query.get("nextToken")
        ),
    ),
    route(
        "GetDatastore", "GET", "/datastore/{datastoreId}", lambda store, r: store.get_datastore(r.path["datastoreId"])
    ),
    # HealthImaging's DICOMweb QIDO-RS representations (host dicom-medical-imaging.*), answered in DICOM JSON.
    route(
        "SearchDICOMStudies",
        "GET",
        "/datastore/{datastoreId}/studies",
        lambda store, r: DicomJson(store.search_dicom_studies(r.path["datastoreId"], r.query)),
    ),
    route(
        "SearchDICOMSeries",
        "GET",
        "/datastore/{datastoreId}/studies/{StudyInstanceUID}/series",
        lambda store, r: DicomJson(
            store.search_dicom_series(r.path["datastoreId"], r.path["StudyInstanceUID"], r.query)
        ),
    ),
    route(
        "SearchDICOMInstances",
        "GET",
        "/datastore/{datastoreId}/studies/{StudyInstanceUID}/series/{SeriesInstanceUID}/instances",
        lambda store, r: DicomJson(
            store.search_dicom_instances(
                r.path["datastoreId"], r.path["StudyInstanceUID"], r.path["SeriesInstanceUID"], r.query
            )
        ),
    ),
]


@dataclass(frozen=True)
class DicomJson:
    """A QIDO-RS answer: a list of DICOM JSON objects, sent as application/dicom+json."""

    records: list[dict[str, Any]]


def instants_from_wire(criteria: Any) -> Any:
    """Turn the epoch seconds botocore sends for createdAt/updatedAt filter values into aware UTC datetimes.

    Anything malformed is passed on untouched, so the datastore's own validation answers it in its own words.
    """
    if not isinstance(criteria, dict) or not isinstance(criteria.get("filters"), list):
        return criteria
    for search_filter in criteria["filters"]:
        values = search_filter.get("values") if isinstance(search_filter, dict) else None
        for value in values if isinstance(values, list) else []:
            for key in TIMESTAMP_FILTER_KEYS:
                if isinstance(value, dict) and _is_number(value.get(key)):
                    value[key] = _instant(key, value[key])
    return criteria


def _instant(key: str, seconds: float) -> datetime:
    try:
        return EPOCH + timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # past year 9999, or not a finite number
        raise invalid(key, "Member must be epoch seconds of a date between the years 1 and 9999") from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def wire_value(value: Any) -> Any:
    """JSON for what json cannot encode itself: datetimes as epoch seconds, exact to the microsecond."""
    if isinstance(value, datetime):
        micros = (aware(value) - EPOCH) // timedelta(microseconds=1)
        return micros // 10**6 if micros % 10**6 == 0 else micros / 10**6  # int / int rounds once, correctly
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route that answers `method path`, with its decoded path parameters; None for an unknown operation."""
    for candidate in ROUTES:
        match = candidate.pattern.match(path)
        if match and candidate.method == method:
            return candidate, {name: unquote(value) for name, value in match.groupdict().items()}
    return None


def checked_faults(faults: Faults | None) -> Faults:
    """No faults when None; otherwise `faults`, after checking that the operations it names exist here."""
    faults = faults or Faults()
    unknown = sorted((faults.operations or set()) - {r.operation for r in ROUTES})
    if unknown:
        known = ", ".join(r.operation for r in ROUTES)
        raise ValueError(f"no operation here is called {', '.join(unknown)}: fault operations are among {known}")
    return faults


class Handler(BaseHTTPRequestHandler):
    """One connection; keep-alive, as botocore's connection pool expects, so every answer has a Content-Length."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this each answer waits ~40 ms
    server: "EndpointServer"

    def do_GET(self):
        self.answer("GET")

    def do_POST(self):
        self.answer("POST")

    def do_PUT(self):  # no route writes: these reach the AWS-style 404, not http.server's HTML 501
        self.answer("PUT")

    def do_DELETE(self):
        self.answer("DELETE")

    def do_PATCH(self):
        self.answer("PATCH")

    def answer(self, method: str):
        body = self.read_body()
        if body is None:
            return
        url = urlsplit(self.path)
        refusal = self.server.gate.refusal(self.headers, url.query, body)
        if refusal:
            self.send_error_json(refusal.status, refusal.code, refusal.message)
            return
        found = find_route(method, url.path)
        if self.inject_fault(found[0].operation if found else None):
            return
        if found is None:
            self.send_error_json(
                404, "UnknownOperationException", f"no HealthImaging operation answers {method} {url.path} here"
            )
        else:
            query = {name: values[-1] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
            self.run(found[0], Request(found[1], query, body))

    def read_body(self) -> bytes | None:
        """The request body, read whole so the connection can carry the next request; None (answered) if its
        length is not a sane number."""
        length = (self.headers.get("Content-Length") or "0").strip()
        if length.isdigit() and int(length) <= MAX_BODY_BYTES:
            return self.rfile.read(int(length))
        self.close_connection = True  # the body is left unread, so this connection cannot carry another request
        self.send_error_json(
            400,
            "ValidationException",
            f"Content-Length must be a byte count up to {MAX_BODY_BYTES}: "
            "the only body any operation takes is a searchCriteria object of a few kilobytes",
        )
        return None

    def inject_fault(self, operation: str | None) -> bool:
        """Apply the current faults to this request; True when a fault answered it (or withheld the answer)."""
        faults = self.server.faults  # read once: a test may swap them while this request is served
        if not faults.applies_to(operation):
            return False
        action = faults.next_request()
        if faults.latency:
            self.server.stopping.wait(faults.latency)
        if action in ("drop", "hang"):
            self.lose_connection(action, faults.hang_seconds)
        elif action:
            status, code, message = ANSWERS[action]
            self.send_error_json(status, code, f"{message} (fault injected by the local endpoint)")
        return action is not None

    def run(self, candidate: Route, request: Request):
        try:
            result = self.server.workers.submit(candidate.call, self.server.store, request).result()
        except DatastoreError as exc:
            log.info("%s -> %s", candidate.operation, exc.code)
            self.send_error_json(exc.status, exc.code, exc.message)
            return
        except Exception as exc:  # a bug in the store must still answer in AWS's shape, without its details
            log.error("%s failed in the datastore: %s", candidate.operation, type(exc).__name__)
            self.send_error_json(
                500, "InternalServerException", f"{candidate.operation} failed inside the local datastore"
            )
            return
        log.info("%s -> 200", candidate.operation)
        if isinstance(result, bytes):  # GetImageSetMetadata: the gzip blob, sent as AWS sends it
            self.send_body(200, result, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        elif isinstance(result, DicomJson):
            body = json.dumps(result.records, separators=(",", ":"), ensure_ascii=False).encode()
            self.send_body(200, body, {"Content-Type": "application/dicom+json"})
        else:
            self.send_json(200, result)

    def send_json(self, status: int, document: Any, headers: dict[str, str] | None = None):
        body = json.dumps(document, default=wire_value, separators=(",", ":")).encode()
        self.send_body(status, body, {"Content-Type": "application/json", **(headers or {})})

    def send_error_json(self, status: int, code: str, message: str):
        self.send_json(status, {"message": message}, {"x-amzn-ErrorType": code})

    def send_body(self, status: int, body: bytes, headers: dict[str, str]):
        self.send_response(status)
        for name, value in {**headers, "x-amzn-RequestId": str(uuid.uuid4()), "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def lose_connection(self, action: str, hang_seconds: float):
        """ "drop" closes at once; "hang" first stays silent for `hang_seconds` (or until the endpoint stops)."""
        if action == "hang":
            self.server.stopping.wait(hang_seconds)
        self.close_connection = True

    def log_message(self, format, *args):
        """Silenced: the standard log line repeats the request line, whose query string carries page tokens."""


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], store: Datastore, faults: Faults):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # an IPv6 host such as ::1
        self.store = store
        self.faults = faults
        self.stopping = threading.Event()
        # Every client connection gets its own thread, and each AWS CLI run is a new connection; the store keeps a
        # connection per calling thread. A fixed pool of store threads keeps that number fixed however long it runs.
        # (Made before binding: a failed bind calls server_close, which shuts the pool down.)
        self.workers = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="healthimaging-store")
        super().__init__(address, Handler)
        self.gate = Gate(*self.server_address[:2])

    def server_close(self):
        super().server_close()
        self.workers.shutdown(wait=False, cancel_futures=True)

    def handle_error(self, request, client_address):
        """A client that hung up mid-answer (it timed out, or a fault dropped it) is normal here, not a crash."""
        log.debug("connection from %s ended early", client_address[0], exc_info=True)


class RunningEndpoint:
    """An endpoint serving in a background thread: `.url` to point clients at, `.faults` to read or swap, `.stop()`.

    Also a context manager that stops it on exit.
    """

    def __init__(self, server: EndpointServer):
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="healthimaging-endpoint", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def faults(self) -> Faults:
        return self._server.faults

    @faults.setter
    def faults(self, faults: Faults | None):
        self._server.faults = checked_faults(faults)

    def wait(self):
        """Block until the endpoint stops; short sleeps keep the main thread responsive to Ctrl-C. (Sleeps, not timed
        joins: a timed lock wait is computed on the monotonic clock, which a moved clock (faketime) throws far off.)"""
        while self._thread.is_alive():
            time.sleep(0.5)

    def stop(self):
        """Stop serving and close the socket; requests hanging on a fault are released at once."""
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "RunningEndpoint":
        return self

    def __exit__(self, *exc_info):
        self.stop()


def start_endpoint(
    store: Datastore, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None
) -> RunningEndpoint:
    """Serve `store` over HealthImaging's REST API at http://host:port (port 0: a free one; see `.url`)."""
    return RunningEndpoint(EndpointServer((host, port), store, checked_faults(faults)))
