"""Every line a stdio client sends gets an answer, as over HTTP (issue 13, break 10).

The SDK's stdio reader dropped a line it could not read (JSON nested past its parser's depth, a raw NUL byte, a lone
surrogate, a batch, a truncated line) without a reply, so the client waited forever. Raw bytes to a real `serve`
process; each bad line must get a JSON-RPC error reply with id null, and the session must go on working.
"""

import json
import queue
import subprocess
import sys
import threading

import pytest

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
PING = b'{"jsonrpc": "2.0", "id": 99, "method": "ping"}\n'
PARSE_ERROR, INVALID_REQUEST = -32700, -32600
BAD_LINES = {
    "nested 300 deep": (b'{"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"a": ' + b"[" * 300 + b"]" * 300
                        + b"}}\n", (PARSE_ERROR, INVALID_REQUEST)),
    "raw NUL byte": (b'{"jsonrpc": "2.0", "id": 3, "method": "pi\x00ng"}\n', (PARSE_ERROR,)),
    "lone surrogate": (b'{"jsonrpc": "2.0", "id": 4, "method": "ping", "params": {"a": "\\ud800"}}\n',
                       (PARSE_ERROR, INVALID_REQUEST)),
    "batch": (b'[{"jsonrpc": "2.0", "id": 6, "method": "ping"}]\n', (INVALID_REQUEST,)),
    "truncated": (b'{"jsonrpc": "2.0", "id": 7, "meth\n', (PARSE_ERROR,)),
    "not a message": (b'{"hello": "world"}\n', (INVALID_REQUEST,)),
}  # fmt: skip


class Server:
    """A `serve` process over stdio; `send` writes raw bytes, `reply` waits (bounded) for the next JSON line."""

    def __init__(self, demo_db, home):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "imageset_search.server.cli", "serve", "--db", str(demo_db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"HOME": str(home), "PATH": ""},
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, data: bytes):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def reply(self, timeout: float = 10) -> dict | None:
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            return None

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    running = Server(demo_db, tmp_path_factory.mktemp("home"))
    running.send(json.dumps(INITIALIZE).encode() + b"\n")
    assert running.reply(30)["id"] == 1
    running.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
    yield running
    running.stop()


@pytest.mark.parametrize("name", BAD_LINES)
def test_a_bad_line_gets_a_json_rpc_error_reply(server, name):
    line, codes = BAD_LINES[name]
    server.send(line)
    reply = server.reply()
    assert reply is not None, "no reply: the client would wait forever"
    assert reply.get("jsonrpc") == "2.0" and reply["error"]["code"] in codes, reply
    assert "id" in reply and reply["id"] is None
    server.send(PING)
    assert server.reply()["id"] == 99  # the session goes on


def test_a_line_of_too_many_keys_is_refused_unparsed(server):
    arguments = json.dumps({f"k{number}": 1 for number in range(30_000)})
    server.send(b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"search_image_sets","arguments":'
                + arguments.encode() + b"}}\n")  # fmt: skip
    reply = server.reply()
    assert (
        reply is not None
        and reply["error"]["code"] == INVALID_REQUEST
        and "keys and list items" in reply["error"]["message"]
    )
    server.send(PING)
    assert server.reply()["id"] == 99
