"""`imageset-search serve` over stdio as a desktop host sees it: stdout is the protocol and nothing else, logs go to
stderr, and the heavy libraries stay unloaded until a tool needs them (what keeps `initialize` fast; the time itself
is measured by bench/startup.py, not here).
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from conftest import DOCUMENTED_IMAGE_SET_ID

HEAVY = ("boto3", "botocore", "pydicom", "dateparser")


def line(method: str, number: int | None = None, params: dict | None = None) -> str:
    message = {"jsonrpc": "2.0", "method": method}
    if number is not None:
        message["id"] = number
    if params is not None:
        message["params"] = params
    return json.dumps(message) + "\n"


def handshake() -> str:
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
    return line("initialize", 1, hello) + line("notifications/initialized")


def call(number: int, arguments: dict) -> str:
    return line("tools/call", number, {"name": "search_image_sets", "arguments": arguments})


@dataclass
class Session:
    returncode: int
    stdout: str
    stderr: str


def serve(tmp_path, db, requests: str, *options: str, python_options=(), answered=0) -> Session:
    """One stdio session: the requests written; stdin closed once `answered` answers have come (as a host would)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IMAGESET_SEARCH_")}
    command = [sys.executable, *python_options, "-m", "imageset_search.server.cli", "serve", "--db", str(db), *options]
    with open(tmp_path / "stderr.log", "w+") as errors:
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True,
                              env=env | {"HOME": str(tmp_path)}, cwd=tmp_path) as process:  # fmt: skip
            process.stdin.write(requests)
            process.stdin.flush()
            lines = [process.stdout.readline() for _ in range(answered)]
            process.stdin.close()
            lines += process.stdout.readlines()
            code = process.wait(timeout=120)
        errors.seek(0)
        return Session(code, "".join(lines), errors.read())


def answers(stdout: str) -> dict:
    """Every stdout line as a JSON-RPC 2.0 answer (anything else fails the test), keyed by id."""
    found = {}
    for text in stdout.splitlines():
        message = json.loads(text)
        assert message["jsonrpc"] == "2.0", text
        assert "id" in message and ("result" in message or "error" in message), text
        found[message["id"]] = message
    return found


def test_stdout_carries_nothing_but_protocol_even_with_debug_logs_and_errors(tmp_path, demo_db):
    requests = handshake() + line("tools/list", 2)
    requests += call(3, {"patient_id": "SUBJECT08701", "study_date": "since 1990"})
    requests += call(4, {"max_items": 500})  # refused: an error result, still on the protocol
    requests += call(5, {"no_such_argument": 1})
    run = serve(tmp_path, demo_db, requests, "--debug", "--timezone", "UTC", answered=5)
    assert run.returncode == 0, run.stderr
    replies = answers(run.stdout)
    assert sorted(replies) == [1, 2, 3, 4, 5]
    assert replies[1]["result"]["serverInfo"]["name"] == "imageset-search"
    assert "search_image_sets" in [tool["name"] for tool in replies[2]["result"]["tools"]]
    found = replies[3]["result"]["structuredContent"]["studies"][0]["image_sets"][0]["image_set_id"]
    assert found == DOCUMENTED_IMAGE_SET_ID
    assert replies[4]["result"]["isError"] and replies[5]["result"]["isError"]
    assert "imageset_search" in run.stderr  # the logs went somewhere, and it was stderr
    assert "SUBJECT08701" not in run.stderr
    assert "Traceback" not in run.stderr  # and closing stdin ended it cleanly (exit status 0, above)


def test_heavy_libraries_are_not_imported_to_answer_initialize_and_tools_list(tmp_path, demo_db):
    """Only the background warming, which starts after the first answer that follows `initialize` (here tools/list,
    sent without the initialized notification), may import them: the import log up to its first line must not."""
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
    requests = line("initialize", 1, hello) + line("tools/list", 2)
    run = serve(tmp_path, demo_db, requests, "--debug", python_options=("-X", "importtime"), answered=2)
    assert run.returncode == 0
    assert sorted(answers(run.stdout)) == [1, 2]
    answering = run.stderr.split("warming what a first call needs")[0]
    imported = {text.split("|")[-1].strip().split(".")[0] for text in answering.splitlines() if "|" in text}
    assert "mcp" in imported  # the import log is really there
    assert imported.isdisjoint(HEAVY), imported & set(HEAVY)
