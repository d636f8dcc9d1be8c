"""The MCP server on the AWS backend (real boto3 over real HTTP to the local endpoint) answers as on the local one."""

import os
import sys

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp_helpers import call, example_criteria, session

from conftest import DOCUMENTED_IMAGE_SET_ID
from imageset_search.datastores.aws.datastore import AwsDatastore
from imageset_search.datastores.testbed.endpoint import start_endpoint
from imageset_search.datastores.testbed.faults import Faults

pytestmark = pytest.mark.anyio
DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
CALLS = [
    {"patient_id": "SUBJECT08701"},
    {"search_criteria": example_criteria(1), "detail": "full"},
    {"search_criteria": example_criteria(4), "detail": "full"},
    {"study_date": {"from": "1995-01-01", "to": "2010-12-31"}, "max_items": 7},
    {"modality": "CT", "max_items": 5},
    {"sort_by": "study_date", "sort_order": "ASC", "max_items": 13, "detail": "full"},
    {"is_primary": False, "detail": "full", "max_items": 50},
    {"series_instance_uid": "1.2.3abc"},
    {"datastore_id": "00000000000000000000000000000000"},
]


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def endpoint(demo_store):
    with start_endpoint(demo_store) as running:
        yield running


async def walk_pages(client, arguments) -> list:
    """Every call's (structured content, is_error) of a whole walk; each next_token only as whether there is one,
    since each backend signs its tokens with its own secret."""
    seen = []
    content, _, is_error = await call(client, arguments)
    seen.append((content, is_error))
    while content and content.get("next_token"):
        content, _, is_error = await call(client, {"next_token": content["next_token"]})
        seen.append((content, is_error))
    return [({**content, "next_token": bool(content.get("next_token"))} if content else content, error)
            for content, error in seen]  # fmt: skip


def image_sets_found(pages: list) -> list:
    """Every image set of a walk, in order. The local datastore searches a modality itself, while SearchImageSets
    cannot, so the server scans for it there (500 summaries a call): the pages and what they say ran where differ,
    the image sets found must not."""
    return [image_set for content, _ in pages for study in content["studies"] for image_set in study["image_sets"]]


async def test_aws_backend_matches_local_byte_for_byte(demo_store, endpoint, aws_env):
    # SearchImageSets alone: the DICOMweb path lists by study (test_aws_qido_path.py checks it against this one)
    aws = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", qido=False)
    for arguments in CALLS:
        async with session(demo_store) as local_client, session(aws) as aws_client:
            local = await walk_pages(local_client, arguments)
            remote = await walk_pages(aws_client, arguments)
        if "modality" in arguments:
            local, remote = image_sets_found(local), image_sets_found(remote)
        assert remote == local, arguments


async def test_throttling_is_retried_and_the_walk_is_exactly_once(demo_store, endpoint, aws_env):
    endpoint.faults = Faults(throttle=0.3, seed=3)
    aws = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=10)
    async with session(demo_store) as local_client, session(aws) as aws_client:
        local = await walk_pages(local_client, {"detail": "full", "max_items": 17})
        remote = await walk_pages(aws_client, {"detail": "full", "max_items": 17})
    assert remote == local
    assert endpoint.faults.injected > 0


async def test_a_persistent_500_returns_what_was_gathered_and_a_token_that_resumes(demo_store, endpoint, aws_env):
    aws = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", max_attempts=2, qido=False)
    arguments = {"modality": "MR", "detail": "full", "max_items": 50}
    async with session(demo_store) as local_client:
        expected = [
            i["imageSetId"] for page, _ in await walk_pages(local_client, arguments) for i in page["image_sets"]
        ]
    endpoint.faults = Faults(fail="3-")  # ListDatastores and the first page answer, every later request fails
    async with session(aws) as client:
        partial, text, is_error = await call(client, arguments)
        assert not is_error, text
        assert 0 < partial["count"] < len(expected) and partial["has_more"]
        assert "failed part-way (InternalServerException)" in text and partial["warnings"]
        _, text, is_error = await call(client, {"next_token": partial["next_token"]})
        assert is_error and "InternalServerException" in text and "Error executing tool search_image_sets:" in text
        endpoint.faults = Faults()
        rest = await walk_pages(client, {"next_token": partial["next_token"], "max_items": 50})
    found = [i["imageSetId"] for page in [partial] + [page for page, _ in rest] for i in page["image_sets"]]
    assert found == expected


async def test_serve_with_the_aws_backend_over_stdio(endpoint, tmp_path):
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "imageset_search.server.cli",
            "serve",
            "--backend",
            "aws",
            "--endpoint-url",
            endpoint.url,
            "--region",
            "us-east-1",
            "--datastore-id",
            "12345678901234567890123456789012",
        ],  # fmt: skip
        env=dict(DUMMY_AWS, HOME=str(tmp_path), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull),
    )
    with open(tmp_path / "stderr.log", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            result = await client.call_tool("search_image_sets", {"search_criteria": example_criteria(1)})
    assert not result.is_error, result.content
    assert result.structured_content["studies"][0]["image_sets"][0]["image_set_id"] == DOCUMENTED_IMAGE_SET_ID
