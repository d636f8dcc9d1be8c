"""Fixtures for tests that go through real HTTP: the local HealthImaging endpoint over the shared demo store, an
AWS datastore (real boto3) pointed at it, and an AWS environment of dummy credentials that owes nothing to the
developer's home folder. Import the fixtures you use into a test module: `from endpoint_fixtures import ...`.

The endpoint runs once per module; `endpoint` hands it to each test with no faults set and clears them afterwards.
"""

import http.client
import json
import os
from typing import Any
from urllib.parse import urlsplit

import pytest

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDLOCALTESTING",
    "AWS_SECRET_ACCESS_KEY": "local-testing-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Settings a developer's shell may carry that would send boto3 elsewhere or change its retries.
CLEARED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CA_BUNDLE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_DISABLE_HOST_PREFIX_INJECTION",
)


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory):
    """Dummy credentials and empty AWS config files in this process's environment; yields that environment."""
    folder = tmp_path_factory.mktemp("aws-config")
    (folder / "config").write_text("")
    (folder / "credentials").write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for name in CLEARED_ENV:
            patch.delenv(name, raising=False)
        for name, value in DUMMY_ENV.items():
            patch.setenv(name, value)
        patch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
        yield dict(os.environ)


@pytest.fixture(scope="module")
def running_endpoint(demo_store):
    from imageset_search.datastores.testbed.endpoint import start_endpoint

    with start_endpoint(demo_store) as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(running_endpoint):
    running_endpoint.faults = None
    yield running_endpoint
    running_endpoint.faults = None


@pytest.fixture
def aws(endpoint, aws_env):
    """An AwsDatastore on the endpoint with 2 attempts: enough to prove a retry, and a failure costs one backoff."""
    from imageset_search.datastores.aws.datastore import AwsDatastore

    return AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=2)


def walk(datastore, datastore_id: str, criteria: dict[str, Any] | None = None, page_size: int | None = None):
    """Every page of a search, followed by nextToken to the end (a token seen twice fails the test)."""
    pages, token, seen = [], None, set()
    while True:
        page = datastore.search_image_sets(datastore_id, criteria, max_results=page_size, next_token=token)
        pages.append(page)
        token = page.get("nextToken")
        if token is None:
            return pages
        assert token not in seen, "the same nextToken came back twice: the walk would never end"
        seen.add(token)


def image_set_ids(pages) -> list[str]:
    return [summary["imageSetId"] for page in pages for summary in page["imageSetsMetadataSummaries"]]


# Shaped like SigV4; the endpoint checks the shape, never the signature.
SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLOCALTESTING/20260101/us-east-1/medical-imaging/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0123456789abcdef" * 4,
    "X-Amz-Date": "20260101T000000Z",
    "Content-Type": "application/json",
}


def send(endpoint, method, path, body=b"", headers=SIGNED):
    """One raw HTTP exchange: (status, headers, body bytes)."""
    address = urlsplit(endpoint.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def aws_error(answer):
    """(status, x-amzn-ErrorType, message) of an error answer, checking its AWS shape on the way."""
    status, headers, body = answer
    assert headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert list(document) == ["message"]
    return status, headers["x-amzn-ErrorType"], document["message"]
