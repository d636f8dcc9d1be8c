"""The MCP server over HTTP on every spelling of loopback, and the bearer token's details (issue 13, break 2).

The SDK turns DNS-rebinding protection on only for the exact strings 127.0.0.1, localhost and ::1, while the server
let any loopback spelling start without a token: a foreign Host then read patient data. Real server processes.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import pytest

INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
)
HEADERS = [("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json")]


def free_port(family=socket.AF_INET, address="127.0.0.1") -> int:
    with socket.socket(family) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def start(demo_db, tmp_path, host: str, port: int, *extra, env=None):
    """`serve --transport http` on host:port; (process, connect address) once it accepts connections."""
    command = [sys.executable, "-m", "imageset_search.server.cli", "serve", "--transport", "http", "--host", host,
               "--port", str(port), "--db", str(demo_db), *extra]  # fmt: skip
    process = subprocess.Popen(
        command, env=dict(os.environ, HOME=str(tmp_path), **(env or {})), stderr=subprocess.PIPE, text=True
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket(family) as probe:
            if probe.connect_ex((host, port)) == 0:
                return process
        if process.poll() is not None:
            raise AssertionError(process.stderr.read())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the HTTP server did not start")


def status(address: str, port: int, headers: list[tuple[str, str]]) -> int:
    """The status of an initialize POST carrying exactly `headers` (Host included when given; repeats kept)."""
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        names = {name.lower() for name, _ in headers}
        connection.putrequest("POST", "/mcp", skip_host="host" in names, skip_accept_encoding=True)
        for name, value in [*headers, ("Content-Length", str(len(INITIALIZE)))]:
            connection.putheader(name, value)
        connection.endheaders(INITIALIZE.encode())
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["127.0.0.2", "0:0:0:0:0:0:0:1", "LOCALHOST"])
def test_every_loopback_spelling_refuses_a_foreign_host_and_origin(demo_db, tmp_path, host):
    family, connect = (
        (socket.AF_INET6, "::1") if ":" in host else (socket.AF_INET, host.lower().replace("localhost", "127.0.0.1"))
    )
    port = free_port(family, connect)
    process = start(demo_db, tmp_path, host, port)
    try:
        own = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        assert status(connect, port, [*HEADERS, ("Host", f"attacker.example:{port}")]) == 421
        assert status(connect, port, [*HEADERS, ("Host", own), ("Origin", "http://attacker.example")]) == 403
        assert status(connect, port, [*HEADERS, ("Host", own)]) == 200
        assert (
            status(connect, port, [*HEADERS, ("Host", f"localhost:{port}"), ("Origin", f"http://localhost:{port}")])
            == 200
        )
    finally:
        process.terminate()
        process.wait(10)


def test_the_bearer_scheme_is_case_insensitive_and_one_header_only(demo_db, tmp_path):
    port = free_port()
    process = start(demo_db, tmp_path, "127.0.0.1", port, "--auth-token-env", "MCP_TOKEN", env={"MCP_TOKEN": "s3cret"})
    try:
        for scheme in ("Bearer", "bearer", "BEARER"):
            assert status("127.0.0.1", port, [*HEADERS, ("Authorization", f"{scheme} s3cret")]) == 200, scheme
        twice = [*HEADERS, ("Authorization", "Bearer s3cret"), ("Authorization", "Bearer s3cret")]
        assert status("127.0.0.1", port, twice) == 401
        assert status("127.0.0.1", port, [*HEADERS, ("Authorization", "Basic s3cret")]) == 401
    finally:
        process.terminate()
        process.wait(10)


def test_a_whitespace_only_token_refuses_to_start(demo_db, tmp_path):
    command = [sys.executable, "-m", "imageset_search.server.cli", "serve", "--transport", "http", "--host", "0.0.0.0",
               "--port", str(free_port()), "--db", str(demo_db), "--auth-token-env", "MCP_TOKEN"]  # fmt: skip
    env = dict(os.environ, HOME=str(tmp_path), MCP_TOKEN=" \t ")
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode != 0 and "whitespace" in done.stderr and "Traceback" not in done.stderr


def test_a_body_of_too_many_keys_is_refused_unparsed_and_no_refusal_quotes_the_body(demo_db, tmp_path):
    port = free_port()
    process = start(demo_db, tmp_path, "127.0.0.1", port)
    try:
        arguments = json.dumps({f"k{number}": 1 for number in range(30_000)})
        body = ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_image_sets","arguments":'
                + arguments + "}}").encode()  # fmt: skip
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("POST", "/mcp", body, dict(HEADERS))
            response = connection.getresponse()
            answer = json.loads(response.read())
        finally:
            connection.close()
        assert response.status == 400 and answer["error"]["code"] == -32600
        assert status("127.0.0.1", port, HEADERS) == 200  # an ordinary request still goes through
        for sent in (
            b'{"SUBJECT08701": 1}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "SUBJECT08701"',
            b'[{"SUBJECT08701": 1}]',
        ):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("POST", "/mcp", sent, dict(HEADERS))
                response = connection.getresponse()
                text = response.read()
            finally:
                connection.close()
            assert response.status == 400 and b"SUBJECT08701" not in text and b"error" in text  # not quoted back
    finally:
        process.terminate()
        process.wait(10)
