"""Adversarial probes of the running servers, all on loopback: what a web page, a careless client or a hostile file
name can do (issue 13). Re-run it after any change to the transports, the argument checks or the importer.

    python bench/attack.py [--keys 100000]

Builds a small demo datastore in a temporary folder, then attacks: the HealthImaging endpoint (`serve-api`, in
this process), the MCP server over streamable HTTP on 127.0.0.2 without a token and on 127.0.0.1 with one (real
`serve` processes), the MCP server over stdio (a real process fed raw lines), and the import command (real
processes). Each attack is held or broken; the CPU a server spends refusing a request of `--keys` unknown argument
keys, and of just fewer keys than are refused unparsed, is read from /proc (median of 3) and held under 100 ms.
Prints one line per attack, then one JSON object last: attacks tried, held, broken (by name) and the refusal CPU
figures.
"""

import argparse
import http.client
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DATASTORE_ID = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"  # an image set every demo datastore holds
PATIENT = "SUBJECT08701"
CPU_LIMIT_MS = 100
BELOW_BOUND = 19_900  # unknown keys just under the count refused unparsed (tools/bounds.py MAX_ITEMS): the worst case
SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/medical-imaging/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32,
    "X-Amz-Date": "20260101T000000Z",
    "Content-Type": "application/json",
}
MADE_UP_PRESIGNED = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=y"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "attack", "version": "1"}}}  # fmt: skip
CLI = [sys.executable, "-m", "imageset_search.server.cli"]


def exchange(host, port, method, path, body=b"", headers=None) -> tuple[int, dict, bytes]:
    """One raw HTTP request with exactly `headers` (a list keeps repeats; Host sent only when given)."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        names = {name.lower() for name, _ in pairs}
        connection.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
        for name, value in [*pairs, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def wait_for_port(process, host: str, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


# -- serve-api ---------------------------------------------------------------------------------------------------


def serve_api_attacks(endpoint) -> dict:
    host, port = endpoint.url.removeprefix("http://").split(":")
    port = int(port)
    metadata = f"/datastore/{DATASTORE_ID}/imageSet/{DOCUMENTED}/getImageSetMetadata"
    search = f"/datastore/{DATASTORE_ID}/searchImageSets"

    def status(method, path, body=b"", headers=SIGNED):
        return exchange(host, port, method, path, body, headers)[0]

    def criteria(value):
        return json.dumps({"filters": [{"values": [value], "operator": "EQUAL"}]}).encode()

    rebound = {"Host": "attacker.example", "Origin": "http://attacker.example", "Content-Type": "text/plain"}
    return {
        "serve-api: rebound page with a made-up presigned URL": lambda: status(
            "POST", f"{metadata}?{MADE_UP_PRESIGNED}", b"x", rebound) == 421,
        "serve-api: foreign Origin": lambda: status(
            "GET", "/datastore", headers={**SIGNED, "Origin": "http://a.example"}) == 403,
        "serve-api: made-up presigned URL": lambda: status("GET", f"/datastore?{MADE_UP_PRESIGNED}", headers={}) == 403,
        "serve-api: text/plain body": lambda: status(
            "POST", search, b"{}", {**SIGNED, "Content-Type": "text/plain"}) == 415,
        "serve-api: two Authorization headers": lambda: status(
            "GET", "/datastore", headers=[*SIGNED.items(), ("Authorization", SIGNED["Authorization"])]) == 403,
        "serve-api: version of 20 digits": lambda: status("POST", f"{metadata}?version=99999999999999999999") == 400,
        "serve-api: createdAt 1e308": lambda: status("POST", search, criteria({"createdAt": 1e308})) == 400,
        "serve-api: updatedAt in year 10000": lambda: status(
            "POST", search, criteria({"updatedAt": 253402300800})) == 400,
        "serve-api: body nested 100,000 deep": lambda: status("POST", search, b"[" * 100_000 + b"]" * 100_000) == 400,
        "serve-api: a write (CreateDatastore)": lambda: status("POST", "/datastore", b"{}") >= 400,
        "serve-api: Content-Length past the cap": lambda: status(
            "POST", search, b"", {**SIGNED, "Content-Length": str(1 << 30)}) >= 400,
        "serve-api: boto3 still works": lambda: boto3_works(endpoint.url),
    }  # fmt: skip


def boto3_works(url: str) -> bool:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "medical-imaging", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )  # fmt: skip
    return bool(client.search_image_sets(datastoreId=DATASTORE_ID, maxResults=2)["imageSetsMetadataSummaries"])


# -- MCP over HTTP -----------------------------------------------------------------------------------------------


class HttpServer:
    """`serve --transport http` on host:port, and a raw MCP session to it."""

    def __init__(self, db: Path, home: Path, host: str, token: str | None = None):
        self.host, self.port = host, free_port(host)
        extra = ["--auth-token-env", "ATTACK_TOKEN"] if token else []
        env = dict(os.environ, HOME=str(home), **({"ATTACK_TOKEN": token} if token else {}))
        self.process = subprocess.Popen(
            [*CLI, "serve", "--transport", "http", "--host", host, "--port", str(self.port), "--db", str(db), *extra],
            env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.process, host, self.port)
        self.headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}

    def post(self, message, headers=None) -> tuple[int, dict, bytes]:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        return exchange(self.host, self.port, "POST", "/mcp", body, headers if headers is not None else self.headers)

    def session(self) -> None:
        _, headers, _ = self.post(INITIALIZE)
        self.headers |= {"mcp-session-id": headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, arguments) -> tuple[dict, float]:
        """(the JSON-RPC answer, server CPU seconds) of one search_image_sets call; `arguments` as JSON bytes."""
        body = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_image_sets","arguments":'
        before = cpu_seconds(self.process.pid)
        _, _, answer = self.post(body + arguments + b"}}")
        spent = cpu_seconds(self.process.pid) - before
        data = next((line[6:] for line in answer.decode().splitlines() if line.startswith("data: ")), answer)
        return json.loads(data), spent

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def tool_text(answer: dict) -> str:
    return answer.get("result", {}).get("content", [{}])[0].get("text", "") or json.dumps(answer.get("error"))


def refused(answer: dict | None) -> bool:
    """A JSON-RPC error or a tool error: either way the call was refused, with words."""
    return bool(answer) and ("error" in answer or answer.get("result", {}).get("isError", False))


def unknown_keys(count: int) -> bytes:
    return json.dumps({f"patient_id={number:012d}": 1 for number in range(count)}).encode()


def http_attacks(server: HttpServer, keys: int, figures: dict) -> dict:
    own = f"{server.host}:{server.port}"

    def costly_refusal():
        server.session()
        server.call(b'{"patient_id": "warm"}')
        for count in (keys, BELOW_BOUND):
            runs = [server.call(unknown_keys(count)) for _ in range(3)]
            figures[f"http_refusal_cpu_ms_{count}_keys"] = round(statistics.median(spent for _, spent in runs) * 1000)
            if not all(refused(answer) for answer, _ in runs):
                return False
        return max(value for name, value in figures.items() if name.startswith("http_")) <= CPU_LIMIT_MS

    def echo():
        answer, _ = server.call(json.dumps({f"patient_id={PATIENT}": 1}).encode())
        return PATIENT not in tool_text(answer) and "did you mean 'patient_id'" in tool_text(answer)

    return {
        f"MCP HTTP on {server.host}: foreign Host": lambda: server.post(
            INITIALIZE, {**MCP_HEADERS, "Host": f"attacker.example:{server.port}"})[0] == 421,
        f"MCP HTTP on {server.host}: foreign Origin": lambda: server.post(
            INITIALIZE, {**MCP_HEADERS, "Host": own, "Origin": "http://attacker.example"})[0] == 403,
        f"MCP HTTP: {keys:,} unknown keys refused under {CPU_LIMIT_MS} ms CPU": costly_refusal,
        "MCP HTTP: a key holding a patient ID is not echoed": echo,
    }  # fmt: skip


def token_attacks(server: HttpServer) -> dict:
    def status(authorizations):
        headers = [*MCP_HEADERS.items(), *(("Authorization", value) for value in authorizations)]
        return server.post(INITIALIZE, headers)[0]

    return {
        "MCP HTTP token: lower-case bearer scheme accepted": lambda: status(["bearer s3cret"]) == 200,
        "MCP HTTP token: two Authorization headers refused": lambda: status(["Bearer s3cret"] * 2) == 401,
        "MCP HTTP token: wrong token refused": lambda: status(["Bearer s3cre"]) == 401,
    }


# -- MCP over stdio ----------------------------------------------------------------------------------------------


class StdioServer:
    """`serve` over stdio, fed raw lines; replies read (bounded) by a thread; stderr kept for the log checks."""

    def __init__(self, db: Path, home: Path, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [*CLI, "serve", "--db", str(db), "--debug"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(log, "wb"), env=dict(os.environ, HOME=str(home)),
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.send(json.dumps(INITIALIZE).encode())
        self.reply(30)
        self.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')

    def send(self, line: bytes) -> None:
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def reply(self, timeout: float = 10) -> dict | None:
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            return None

    def stop(self):
        self.process.stdin.close()
        self.process.wait(10)


def stdio_attacks(server: StdioServer, keys: int, figures: dict) -> dict:
    def error_reply(line: bytes):
        server.send(line)
        reply = server.reply()
        return reply is not None and reply.get("error", {}).get("code") in (-32700, -32600)

    def costly_refusal():
        call = b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"search_image_sets","arguments":'
        for count in (keys, BELOW_BOUND):
            spent, replies = [], []
            for _ in range(3):
                before = cpu_seconds(server.process.pid)
                server.send(call + unknown_keys(count) + b"}}")
                replies.append(server.reply(60))
                spent.append(cpu_seconds(server.process.pid) - before)
            figures[f"stdio_refusal_cpu_ms_{count}_keys"] = round(statistics.median(spent) * 1000)
            if not all(map(refused, replies)):
                return False
        return max(value for name, value in figures.items() if name.startswith("stdio_")) <= CPU_LIMIT_MS

    def unknown_names_not_logged():
        for message in (
            {"jsonrpc": "2.0", "id": 7, "method": "prompts/get", "params": {"name": PATIENT}},
            {"jsonrpc": "2.0", "id": 8, "method": "resources/read", "params": {"uri": f"other://{PATIENT}"}},
            {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": PATIENT, "arguments": {}}},
        ):
            server.send(json.dumps(message).encode())
            if PATIENT in json.dumps(server.reply()):
                return False
        time.sleep(0.5)  # let the log lines land
        return PATIENT.encode() not in server.log.read_bytes()

    ping = b'{"jsonrpc": "2.0", "id": 2, "method": "ping"'
    return {
        "stdio: JSON nested 300 deep": lambda: error_reply(
            ping + b', "params": {"a": ' + b"[" * 300 + b"]" * 300 + b"}}"),
        "stdio: a raw NUL byte": lambda: error_reply(b'{"jsonrpc": "2.0", "id": 3, "method": "pi\x00ng"}'),
        "stdio: a lone surrogate": lambda: error_reply(ping + b', "params": {"a": "\\ud800"}}'),
        "stdio: a batch": lambda: error_reply(b"[" + ping + b"}]"),
        "stdio: a truncated line": lambda: error_reply(b'{"jsonrpc": "2.0", "id": 4, "meth'),
        f"stdio: {keys:,} unknown keys refused under {CPU_LIMIT_MS} ms CPU": costly_refusal,
        "stdio: unknown prompt, resource and tool names neither echoed nor logged": unknown_names_not_logged,
    }  # fmt: skip


# -- import ------------------------------------------------------------------------------------------------------


def import_attacks(db: Path, work: Path) -> dict:
    from imageset_search.datastores.local.demo import write_dicom_files

    def run(*args):
        return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)

    def forged_name():
        folder = work / "forged"
        folder.mkdir()
        (folder / "x\n\x1b[32mImported 999 instances from 999 files\x1b[0m.dcm").write_text("not an image")
        done = run("import", folder, "--db", work / "forged.sqlite3")
        return "\x1b" not in done.stdout and len(done.stdout.splitlines()) == 2

    def linked_folder():
        write_dicom_files(work / "elsewhere", 3, seed=7)
        (work / "linked").mkdir()
        (work / "linked" / "link").symlink_to(work / "elsewhere")
        (work / "linked" / "loop").symlink_to(work / "linked")
        done = run("import", work / "linked", "--db", work / "linked.sqlite3")
        return done.stdout.startswith("Imported 3 instances") and "a link to a folder imported already" in done.stdout

    def future_schema():
        import hashlib
        import sqlite3

        copy = work / "future.sqlite3"
        shutil.copy(db, copy)
        with sqlite3.connect(copy) as connection:
            connection.execute("PRAGMA journal_mode = DELETE")
            connection.execute("PRAGMA user_version = 99")
        connection.close()
        before = hashlib.sha256(copy.read_bytes()).hexdigest()
        done = run("import", work / "elsewhere", "--db", copy)
        unchanged = hashlib.sha256(copy.read_bytes()).hexdigest() == before
        return done.returncode != 0 and unchanged and len(done.stderr.splitlines()) == 1

    def same_new_name_at_once():
        racers = [subprocess.Popen([*CLI, "import", str(work / "elsewhere"), "--db", str(work / "race.sqlite3"),
                                    "--datastore", "shared"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                  for _ in range(2)]  # fmt: skip
        codes = [racer.wait(120) for racer in racers]
        from imageset_search.datastores.local.store import LocalStore

        with LocalStore(work / "race.sqlite3") as store:
            names = [s["datastoreName"] for s in store.list_datastores()["datastoreSummaries"]]
        return codes == [0, 0] and names == ["shared"]

    return {
        "import: a file name with a newline and ANSI escapes": forged_name,
        "import: a linked folder and a link loop": linked_folder,
        "import: a newer schema left byte-identical": future_schema,
        "import: two imports creating one new name": same_new_name_at_once,
    }


# -- running -----------------------------------------------------------------------------------------------------


def attempt(attacks: dict, held: list, broken: list) -> None:
    for name, attack in attacks.items():
        try:
            ok = bool(attack())
        except Exception as exc:  # an attack that crashes the probe counts as broken, with the exception's type
            ok = False
            name = f"{name} ({type(exc).__name__})"
        (held if ok else broken).append(name)
        print(f"{'held  ' if ok else 'BROKEN'} {name}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000, help="unknown argument keys in the costly request")
    args = parser.parse_args()
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore
    from imageset_search.datastores.testbed.endpoint import start_endpoint

    held: list[str] = []
    broken: list[str] = []
    figures: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = work / "demo.sqlite3"
        with LocalStore(db) as store:
            build_demo(store, image_sets=50, seed=0)
        with LocalStore(db) as store, start_endpoint(store) as endpoint:
            attempt(serve_api_attacks(endpoint), held, broken)
        for host, token in (("127.0.0.2", None), ("127.0.0.1", "s3cret")):
            server = HttpServer(db, work, host, token)
            try:
                attempt(token_attacks(server) if token else http_attacks(server, args.keys, figures), held, broken)
            finally:
                server.stop()
        stdio = StdioServer(db, work, work / "stdio.log")
        try:
            attempt(stdio_attacks(stdio, args.keys, figures), held, broken)
        finally:
            stdio.stop()
        attempt(import_attacks(db, work), held, broken)
    print(json.dumps({"attacks": len(held) + len(broken), "held": len(held), "broken": broken, **figures}))


if __name__ == "__main__":
    main()
