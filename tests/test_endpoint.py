"""The local HealthImaging endpoint on the wire: AWS's routes, status codes, error format, epoch timestamps and gzip
metadata, checked with raw HTTP requests; its fault rules; and the `serve-api` command that runs it."""

import gzip
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from endpoint_fixtures import DUMMY_ENV, SIGNED, aws_env, aws_error, endpoint, running_endpoint, send  # noqa: F401

from imageset_search.datastores import errors
from imageset_search.datastores.testbed.faults import Faults, RequestRule

DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
DOCUMENTED_AT_EPOCH = 1670362859.429
def test_search_answers_json_with_epoch_seconds_and_a_page_token(endpoint):
    status, headers, body = send(endpoint, "POST", f"/datastore/{DEMO}/searchImageSets?maxResults=3", b"{}")
    assert status == 200 and headers["Content-Type"] == "application/json"
    page = json.loads(body)
    assert len(page["imageSetsMetadataSummaries"]) == 3 and page["nextToken"]
    assert all(isinstance(s["createdAt"], (int, float)) for s in page["imageSetsMetadataSummaries"])
    status, _, body = send(
        endpoint,
        "POST",
        f"/datastore/{DEMO}/searchImageSets?maxResults=3&nextToken={quote(page['nextToken'], safe='')}",
        b"{}",
    )
    following = json.loads(body)["imageSetsMetadataSummaries"]
    assert status == 200 and following[0]["imageSetId"] not in {
        s["imageSetId"] for s in page["imageSetsMetadataSummaries"]
    }


def test_epoch_seconds_in_the_request_body_are_instants(endpoint):
    criteria = {"filters": [{"values": [{"createdAt": DOCUMENTED_AT_EPOCH}], "operator": "EQUAL"}]}
    status, _, body = send(endpoint, "POST", f"/datastore/{DEMO}/searchImageSets", json.dumps(criteria).encode())
    assert status == 200
    found = json.loads(body)["imageSetsMetadataSummaries"]
    assert [s["imageSetId"] for s in found] == [DOCUMENTED]
    assert found[0]["createdAt"] == DOCUMENTED_AT_EPOCH


def test_metadata_is_sent_gzip_encoded_as_aws_sends_it(endpoint, demo_store):
    status, headers, body = send(endpoint, "POST", f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/getImageSetMetadata")
    assert status == 200
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"] == "application/json"
    assert body == demo_store.get_image_set_metadata(DEMO, DOCUMENTED)
    assert json.loads(gzip.decompress(body))["ImageSetID"] == DOCUMENTED


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/getImageSet?version=1"),
        ("POST", f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/listImageSetVersions?maxResults=5"),
        ("GET", "/datastore?datastoreStatus=ACTIVE&maxResults=5"),
        ("GET", f"/datastore/{DEMO}"),
    ],
)
def test_the_other_read_routes_answer(endpoint, method, path):
    status, _, body = send(endpoint, method, path)
    assert status == 200 and json.loads(body)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer abc"}, {"Authorization": "AWS4-HMAC-SHA256 Credential=x"}]
)
def test_an_unsigned_request_is_refused_in_aws_style(endpoint, headers):
    status, code, message = aws_error(send(endpoint, "GET", "/datastore", headers=headers))
    assert (status, code) == (403, "MissingAuthenticationTokenException")
    assert "SigV4" in message and "any key pair" in message


def test_a_presigned_request_counts_as_signed(endpoint):
    presigned = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fmedical-imaging%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0f" * 32
    )
    assert send(endpoint, "GET", f"/datastore?{presigned}", headers={})[0] == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/nowhere"),
        ("GET", f"/datastore/{DEMO}/searchImageSets"),  # a POST route
        ("PUT", "/datastore"),  # CreateDatastore: the endpoint is read-only
        ("DELETE", f"/datastore/{DEMO}"),
        ("POST", f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/deleteImageSet"),
    ],
)
def test_unknown_and_writing_routes_are_aws_style_404s(endpoint, method, path):
    status, code, _ = aws_error(send(endpoint, method, path))
    assert (status, code) == (404, "UnknownOperationException")


def test_store_errors_keep_their_aws_status_and_code(endpoint):
    assert aws_error(send(endpoint, "GET", f"/datastore/{'f' * 32}"))[:2] == (404, "ResourceNotFoundException")
    assert aws_error(send(endpoint, "POST", f"/datastore/{DEMO}/searchImageSets?maxResults=51", b"{}"))[:2] == (
        400,
        "ValidationException",
    )


@pytest.mark.parametrize(
    "query, body, says",
    [("?maxResults=ten", b"{}", "maxResults"), ("", b"{not json", "not JSON")],
)
def test_malformed_requests_are_validation_errors_that_say_what_to_send(endpoint, query, body, says):
    status, code, message = aws_error(send(endpoint, "POST", f"/datastore/{DEMO}/searchImageSets{query}", body))
    assert (status, code) == (400, "ValidationException") and says in message


@pytest.mark.parametrize(
    "kind, status, code",
    [
        ("error", 500, "InternalServerException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("deny", 403, "AccessDeniedException"),
        ("expired", 403, "ExpiredTokenException"),
    ],
)
def test_answered_faults_have_aws_status_and_code(endpoint, kind, status, code):
    endpoint.faults = Faults(fail="2", fail_kind=kind)
    assert send(endpoint, "GET", "/datastore")[0] == 200
    assert aws_error(send(endpoint, "GET", "/datastore"))[:2] == (status, code)
    assert send(endpoint, "GET", "/datastore")[0] == 200
    assert (endpoint.faults.requests, endpoint.faults.injected) == (3, 1)


def test_faults_limited_to_an_operation_count_and_hit_only_its_requests(endpoint):
    endpoint.faults = Faults(fail="2-", operations="SearchImageSets")
    search = f"/datastore/{DEMO}/searchImageSets?maxResults=1"
    assert send(endpoint, "POST", search, b"{}")[0] == 200
    for _ in range(3):
        assert send(endpoint, "GET", f"/datastore/{DEMO}")[0] == 200
    assert aws_error(send(endpoint, "POST", search, b"{}"))[:2] == (500, "InternalServerException")
    assert (endpoint.faults.requests, endpoint.faults.injected) == (2, 1)


def test_faults_naming_an_unknown_operation_are_refused(endpoint):
    with pytest.raises(ValueError, match="SearchImageSets"):
        endpoint.faults = Faults(fail="1-", operations={"SearchImageSet"})


def test_throttling_wins_over_failing_and_answers_429(endpoint):
    endpoint.faults = Faults(throttle="1", fail="1")
    assert aws_error(send(endpoint, "GET", "/datastore"))[:2] == (429, "ThrottlingException")


def test_a_dropped_connection_gets_no_answer(endpoint):
    endpoint.faults = Faults(fail="1", fail_kind="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        send(endpoint, "GET", "/datastore")
    assert send(endpoint, "GET", "/datastore")[0] == 200


def test_swapping_faults_restarts_the_count(endpoint):
    endpoint.faults = Faults(fail="1")
    assert send(endpoint, "GET", "/datastore")[0] == 500
    endpoint.faults = Faults(fail="1")
    assert send(endpoint, "GET", "/datastore")[0] == 500
    endpoint.faults = None
    assert send(endpoint, "GET", "/datastore")[0] == 200 and endpoint.faults.requests == 1


@pytest.mark.parametrize(
    "text, hit, missed",
    [
        ("3,4,5", [3, 4, 5], [1, 2, 6]),
        ("2-4", [2, 3, 4], [1, 5]),
        ("6-", [6, 7, 1000], [1, 5]),
        ("1, 8-9, 12-", [1, 8, 9, 12, 40], [2, 10, 11]),
    ],
)
def test_request_sequences(text, hit, missed):
    rule = RequestRule.parse(text)
    assert all(rule.hits(n, draw=0.99) for n in hit)
    assert not any(rule.hits(n, draw=0.0) for n in missed)


def test_a_share_hits_about_that_share_and_the_same_requests_for_the_same_seed():
    def hits(seed):
        faults = Faults(throttle=0.3, seed=seed)
        return [faults.next_request() for _ in range(1000)]

    first = hits(11)
    assert first == hits(11) and first != hits(12)
    assert 250 <= first.count("throttle") <= 350
    assert RequestRule.parse("0.3") == RequestRule.parse(0.3)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "3-x", 2.0])
def test_malformed_rules_are_refused_with_what_to_send(value):
    with pytest.raises(ValueError, match="send"):
        RequestRule.parse(value)


def test_unknown_fail_kinds_are_refused():
    with pytest.raises(ValueError, match="drop"):
        Faults(fail="1", fail_kind="explode")


# The installed `imageset-search` entry point, run by this interpreter (not `-m ...cli`, which would load the CLI
# module twice, as __main__ and as itself, and split its exception classes).
CLI = [sys.executable, "-c", "import sys; from imageset_search.server.cli import main; sys.exit(main())"]


def start_serve_api(*arguments):
    """`imageset-search serve-api` as a real process; returns it and the URL it printed."""
    process = subprocess.Popen(
        [*CLI, "serve-api", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line.startswith("serving HealthImaging API at http://127.0.0.1:"), (line, process.stderr.read())
    return process, line.split(" at ")[1].split()[0]


def interrupt(process) -> int:
    """Ctrl-C, as a user stops it; the exit code."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_serve_api_serves_the_database_to_boto3_with_its_fault_flags(demo_db, aws_env):
    from imageset_search.datastores.aws.datastore import AwsDatastore

    process, url = start_serve_api(
        "--db", str(demo_db), "--fail", "2-", "--fail-kind", "deny", "--fault-operations", "GetImageSet"
    )
    try:
        served = AwsDatastore(endpoint_url=url, region="us-east-1")
        assert served.get_image_set(DEMO, DOCUMENTED)["imageSetId"] == DOCUMENTED
        for _ in range(2):
            assert served.get_datastore(DEMO)["datastoreProperties"]["datastoreName"] == "demo"
        with pytest.raises(errors.AccessDeniedException):
            served.get_image_set(DEMO, DOCUMENTED)
    finally:
        assert interrupt(process) == 130


@pytest.mark.parametrize(
    "arguments, says",
    [
        (["--throttle", "often"], "fault rule"),
        (["--db", "{missing}"], "no local datastore"),
        (["--db", "{demo}", "--port", "{busy}"], "cannot listen"),
        (["--fail", "1-", "--fault-operations", "DeleteImageSet"], "no operation here is called DeleteImageSet"),
    ],
)
def test_serve_api_refuses_bad_flags_missing_databases_and_busy_ports_in_one_line(tmp_path, demo_db, arguments, says):
    with socket.socket() as busy:  # a port another program listens on
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        values = {"missing": tmp_path / "missing.sqlite3", "demo": demo_db, "busy": busy.getsockname()[1]}
        result = run_serve_api(tmp_path, [argument.format(**values) for argument in arguments])
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "missing.sqlite3").exists(), "a refused start must not create a database"


def run_serve_api(tmp_path, arguments):
    return subprocess.run(
        [*CLI, "serve-api", "--port", "0", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        env={**DUMMY_ENV, "PATH": "", "IMAGESET_SEARCH_DB": str(tmp_path / "missing.sqlite3")},
    )


def test_an_ipv6_loopback_endpoint_gives_a_bracketed_url(demo_store):
    from imageset_search.datastores.testbed.endpoint import start_endpoint

    try:
        served = start_endpoint(demo_store, host="::1")
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    with served:
        assert served.url.startswith("http://[::1]:")
        assert send(served, "GET", "/datastore")[0] == 200


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)))
def test_epoch_seconds_on_the_wire_read_back_to_the_same_microsecond_in_botocore(moment):
    from botocore.utils import parse_timestamp

    from imageset_search.datastores.testbed.endpoint import wire_value

    assert parse_timestamp(json.loads(json.dumps(wire_value(moment)))) == moment


class ThreadRecorder:
    """The demo store, noting the names of the threads that call it."""

    def __init__(self, store):
        self.store, self.threads = store, set()

    def __getattr__(self, name):
        method = getattr(self.store, name)

        def call(*args, **kwargs):
            self.threads.add(threading.current_thread().name)  # names are never reused, idents may be
            return method(*args, **kwargs)

        return call


def test_the_store_is_called_from_a_fixed_pool_of_threads_however_many_connections_come(demo_store):
    from imageset_search.datastores.testbed.endpoint import STORE_THREADS, start_endpoint

    recorder = ThreadRecorder(demo_store)
    with start_endpoint(recorder) as served:
        for _ in range(3 * STORE_THREADS):
            assert send(served, "GET", f"/datastore/{DEMO}")[0] == 200  # a new connection each time
    assert 1 <= len(recorder.threads) <= STORE_THREADS


@pytest.mark.parametrize("length", ["lots", str(64 << 20)])
def test_a_bad_or_huge_content_length_is_refused_without_reading_it(endpoint, length):
    status, code, message = aws_error(
        send(endpoint, "POST", f"/datastore/{DEMO}/searchImageSets", headers={**SIGNED, "Content-Length": length})
    )
    assert (status, code) == (400, "ValidationException") and "Content-Length" in message
