"""The first call is quick: once a host has initialized, the server readies in the background what a call needs."""

import pytest
from mcp import Client
from mcp_helpers import call, demo_server

from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401
from imageset_search.datastores.aws import client as aws_client
from imageset_search.datastores.aws.datastore import AwsDatastore
from imageset_search.server.warm import Warmer

pytestmark = pytest.mark.anyio
WARM_WAIT_SECONDS = 60  # a bound on a busy machine, not a timing


def warmer_of(server) -> Warmer:
    (found,) = [item for item in server.middleware if isinstance(item, Warmer)]
    return found


async def test_the_aws_client_is_built_before_the_first_call(endpoint, aws_env):
    datastore = AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", connect_timeout=7.25)  # options of its own
    server = demo_server(lambda: datastore)
    async with Client(server) as client:
        assert warmer_of(server).done.wait(WARM_WAIT_SECONDS)
        assert datastore.options in aws_client._clients  # built by warming: no tool has been called yet
        content, text, is_error = await call(client, {"patient_id": "SUBJECT08701"})
    assert not is_error and content["count"] == 1, text
    aws_client.forget_client(datastore.options)


async def test_a_failing_step_is_left_for_the_call_to_explain():
    def broken():
        return AwsDatastore(retry_mode="sometimes")  # refused when built

    server = demo_server(broken)
    async with Client(server) as client:
        assert warmer_of(server).done.wait(WARM_WAIT_SECONDS)
        _, text, is_error = await call(client, {"patient_id": "X"})
    assert is_error and "retry mode" in text


def test_warming_starts_once_whatever_comes_next():
    runs = []
    warmer = Warmer(lambda: runs.append("datastore"))
    warmer.steps = warmer.steps[:1]
    warmer.start()
    warmer.start()
    assert warmer.done.wait(WARM_WAIT_SECONDS) and runs == ["datastore"]
