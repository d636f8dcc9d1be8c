"""serve-api against a web page and against careless input (issue 13, breaks 1 and 9).

A page the user opens can reach a loopback endpoint two ways: directly (its Origin is foreign) or through DNS
rebinding (its own name resolves to 127.0.0.1, so the Host is foreign); either way it can send a `text/plain` POST
without asking first, but no Authorization header and no JSON body. Each of those is refused before any route runs.
Out-of-range input gets AWS's 400 ValidationException, never a 500. Real boto3 passing every check is proven by
the AWS datastore tests; here it is checked once more together with the refusals.
"""

import json

import pytest
from endpoint_fixtures import SIGNED, aws, aws_env, aws_error, endpoint, running_endpoint, send  # noqa: F401

from conftest import DEMO_DATASTORE_ID as DEMO
from conftest import DOCUMENTED_IMAGE_SET_ID as DOCUMENTED

SEARCH = f"/datastore/{DEMO}/searchImageSets"
METADATA = f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/getImageSetMetadata"
MADE_UP_PRESIGNED = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=y"


def own_host(endpoint) -> str:
    return endpoint.url.removeprefix("http://")


def test_the_page_of_the_issue_reads_nothing(endpoint):
    """The attack as found: a text/plain POST from a rebound name with a made-up presigned query string."""
    headers = {"Host": "attacker.example:80", "Content-Type": "text/plain", "Origin": "http://attacker.example"}
    status, _, body = send(endpoint, "POST", f"{METADATA}?{MADE_UP_PRESIGNED}", b"x", headers=headers)
    assert status == 421 and b"Patient" not in body


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "127.0.0.1", "127.0.0.2:{port}"])
def test_a_foreign_host_is_misdirected(endpoint, host):
    port = own_host(endpoint).rpartition(":")[2]
    status, code, message = aws_error(
        send(endpoint, "GET", "/datastore", headers={**SIGNED, "Host": host.format(port=port)})
    )
    assert (status, code) == (421, "MisdirectedRequestException") and "Host" in message


def test_localhost_and_the_bound_address_are_this_endpoint(endpoint):
    port = own_host(endpoint).rpartition(":")[2]
    for host in (own_host(endpoint), f"localhost:{port}", f"LOCALHOST:{port}"):
        assert send(endpoint, "GET", "/datastore", headers={**SIGNED, "Host": host})[0] == 200, host


def test_a_foreign_origin_is_refused_and_its_own_is_not(endpoint):
    for origin in ("http://attacker.example", "null", f"https://{own_host(endpoint)}"):
        status, code, _ = aws_error(send(endpoint, "GET", "/datastore", headers={**SIGNED, "Origin": origin}))
        assert (status, code) == (403, "AccessDeniedException"), origin
    assert send(endpoint, "GET", "/datastore", headers={**SIGNED, "Origin": f"http://{own_host(endpoint)}"})[0] == 200


@pytest.mark.parametrize(
    "query, authorization",
    [
        (MADE_UP_PRESIGNED, None),
        (MADE_UP_PRESIGNED.replace("=y", "=" + "0" * 64), None),
        ("", "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=y"),
        ("", SIGNED["Authorization"].replace("20260101", "20250101")),  # scope dated unlike X-Amz-Date
        ("", SIGNED["Authorization"].replace("host;x-amz-date", "x-amz-date")),  # host not signed
    ],
)
def test_a_made_up_signature_is_refused(endpoint, query, authorization):
    headers = {name: value for name, value in SIGNED.items() if name != "Authorization"}
    headers |= {"Authorization": authorization} if authorization else {}
    status, code, _ = aws_error(send(endpoint, "GET", f"/datastore?{query}", headers=headers))
    assert (status, code) == (403, "MissingAuthenticationTokenException")


def test_two_authorization_headers_are_refused(endpoint):
    address = own_host(endpoint).split(":")
    import http.client

    connection = http.client.HTTPConnection(address[0], int(address[1]), timeout=10)
    try:
        connection.putrequest("GET", "/datastore")
        for name, value in SIGNED.items():
            connection.putheader(name, value)
        connection.putheader("Authorization", SIGNED["Authorization"])
        connection.endheaders()
        assert connection.getresponse().status == 403
    finally:
        connection.close()


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_must_be_declared_json(endpoint, content_type):
    headers = {name: value for name, value in SIGNED.items() if name != "Content-Type"}
    headers |= {"Content-Type": content_type} if content_type else {}
    status, code, _ = aws_error(send(endpoint, "POST", SEARCH, b"{}", headers=headers))
    assert (status, code) == (415, "UnsupportedMediaTypeException")


def test_boto3_passes_every_check(aws):
    assert aws.search_image_sets(DEMO, None, max_results=2)["imageSetsMetadataSummaries"]
    assert aws.get_image_set_metadata(DEMO, DOCUMENTED)


@pytest.mark.parametrize(
    "path, body",
    [
        (f"/datastore/{DEMO}/imageSet/{DOCUMENTED}/getImageSet?version=99999999999999999999", b""),
        (f"{METADATA}?version=99999999999999999999", b""),
        (SEARCH, json.dumps({"filters": [{"values": [{"createdAt": 1e308}], "operator": "EQUAL"}]}).encode()),
        (SEARCH, json.dumps({"filters": [{"values": [{"updatedAt": 253402300800}], "operator": "EQUAL"}]}).encode()),
        (SEARCH, b"[" * 100_000 + b"]" * 100_000),
        (SEARCH, b'{"filters": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ],
    ids=["version-20-digits", "metadata-version-20-digits", "createdAt-1e308", "updatedAt-year-10000", "nested-100000",
         "filters-nested-100000"],
)  # fmt: skip
def test_out_of_range_input_is_a_validation_error(endpoint, path, body):
    status, code, message = aws_error(send(endpoint, "POST", path, body))
    assert (status, code) == (400, "ValidationException"), message
