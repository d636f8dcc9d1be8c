"""The streamable HTTP transport as a remote agent meets it: a real server process on loopback."""

import os
import socket
import subprocess
import sys
import time

import json
import urllib.error
import urllib.request

import pytest
from mcp import Client

from conftest import DOCUMENTED_IMAGE_SET_ID

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def post_status(url: str, headers: dict) -> int:
    """The HTTP status of an initialize request sent with `headers` (stdlib only: what any client could send)."""
    request = urllib.request.Request(url, data=json.dumps(INITIALIZE).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(demo_db, tmp_path, *extra, env=None):
    port = free_port()
    command = [sys.executable, "-m", "imageset_search.server.cli", "serve", "--transport", "http", "--port",
               str(port), "--db", str(demo_db), *extra]  # fmt: skip
    process = subprocess.Popen(
        command, env=dict(os.environ, HOME=str(tmp_path), **(env or {})), stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}/mcp"
        if process.poll() is not None:
            raise AssertionError(process.stderr.read())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the HTTP server did not start")


@pytest.fixture
def server(demo_db, tmp_path):
    process, url = start(demo_db, tmp_path)
    yield url
    process.terminate()
    process.wait(10)


@pytest.mark.anyio
async def test_a_client_searches_over_http(server):
    async with Client(server) as client:
        result = await client.call_tool("search_image_sets", {"patient_id": "SUBJECT08701"})
    assert not result.is_error
    assert result.structured_content["studies"][0]["image_sets"][0]["image_set_id"] == DOCUMENTED_IMAGE_SET_ID


def test_foreign_host_and_origin_are_refused_on_loopback(server):
    assert post_status(server, HEADERS | {"host": "evil.example"}) == 421
    assert post_status(server, HEADERS | {"origin": "http://evil.example"}) == 403
    assert post_status(server, HEADERS) == 200


def test_a_bearer_token_is_required_when_set(demo_db, tmp_path):
    process, url = start(demo_db, tmp_path, "--auth-token-env", "MCP_TOKEN", env={"MCP_TOKEN": "s3cret-token"})
    try:
        assert post_status(url, HEADERS) == 401
        wrong = HEADERS | {"authorization": "Bearer nope"}
        assert post_status(url, wrong) == 401
        right = HEADERS | {"authorization": "Bearer s3cret-token"}
        assert post_status(url, right) == 200
    finally:
        process.terminate()
        process.wait(10)


def test_a_public_bind_without_a_token_refuses_to_start(demo_db, tmp_path):
    command = [sys.executable, "-m", "imageset_search.server.cli", "serve", "--transport", "http", "--host",
               "0.0.0.0", "--port", str(free_port()), "--db", str(demo_db)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, env=dict(os.environ, HOME=str(tmp_path)))
    assert done.returncode != 0
    assert "--auth-token-env" in done.stderr
