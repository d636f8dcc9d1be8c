"""Soak the MCP server over streamable HTTP on loopback: many concurrent clients searching for a fixed time.

    python bench/soak.py [--seconds 60] [--clients 50] [--db PATH] [--debug] [--server-log FILE]

Starts `imageset-search serve --transport http` as its own process on the demo datastore (built in a temporary
folder unless --db names one), then connects `--clients` MCP client sessions, sends every query of the mix once (a
warm-up: lazy imports load), and lets all the sessions call search_image_sets at once in a loop (patient IDs read
from the store, date phrases, client-side refinements, full detail, continuation tokens) until the time is up. It
samples the server's resident memory (RSS) every half second. Afterwards it times how fast the server refuses
oversized input over the same HTTP: a 1 MB string, a 10,000-item list, and JSON nested 1,000 deep both as an object
and as JSON text. Prints one JSON object last: calls, errors, p50/p95 latency in ms, RSS after the warm-up (the
first sixth of the run, at most a minute), at minute 1 (the end of a shorter run), at the end and at its peak, and
the median refusal times with how each was refused.
"""

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

DATASTORE_ID = "12345678901234567890123456789012"
SAMPLE_SECONDS = 0.5
REFUSAL_REPEATS = 5
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
PROTOCOL_VERSION = "2025-06-18"


def demo_db(folder: Path) -> Path:
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore

    path = folder / "demo.sqlite3"
    with LocalStore(path) as store:
        build_demo(store, image_sets=200, seed=0)
    return path


def queries(db: Path) -> list[dict]:
    """A realistic mix: exact patient IDs of the store, date phrases, refinements, full detail, sorts."""
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(db) as store:
        page = store.search_image_sets(DATASTORE_ID, None, max_results=50)
    patients = sorted({item["DICOMTags"]["DICOMPatientId"] for item in page["imageSetsMetadataSummaries"]})[:20]
    return [{"patient_id": patient} for patient in patients] + [
        {"study_date": "since 2015", "max_items": 20},
        {"study_date": "1990s", "modality": "CT"},
        {"modality": ["MR", "CT"], "max_items": 5},
        {"created": "last 3 years", "detail": "full", "max_items": 10},
        {"sort_by": "study_date", "sort_order": "ASC", "max_items": 50},
        {"patient_sex": "F", "body_part": "CHEST"},
        {"search_criteria": {"filters": [{"values": [{"isPrimary": False}], "operator": "EQUAL"}]}},
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: Path, port: int, debug: bool, log) -> subprocess.Popen:
    command = [sys.executable, "-m", "imageset_search.server.cli", "serve", "--transport", "http",
               "--port", str(port), "--db", str(db), *(["--debug"] if debug else [])]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it listened")
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not listen within 60 s")


class MemorySampler(threading.Thread):
    """The server's RSS in MB every half second, with the time since the load began (when the thread starts)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()
        self.started = time.monotonic()

    def run(self):
        self.started = time.monotonic()
        while not self.stop.is_set():
            time.sleep(SAMPLE_SECONDS)  # not stop.wait(): a timed lock wait misses a moved clock's sleeps (faketime)
            rss = rss_mb(self.pid)
            if rss is not None:
                self.samples.append((time.monotonic() - self.started, rss))

    def at(self, seconds: float) -> float | None:
        """RSS at the first sample from `seconds` on (None when the run was shorter)."""
        return next((rss for at, rss in self.samples if at >= seconds), None)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Load:
    """The clients' shared state: they all connect first, then call from one start until one deadline."""

    def __init__(self, clients: int, seconds: float):
        self.clients, self.seconds = clients, seconds
        self.connected = 0
        self.go = asyncio.Event()
        self.deadline = float("inf")
        self.latencies: list[float] = []
        self.errors: Counter = Counter()

    def ready(self) -> bool:
        """Count one client in; True for the last one, which warms the server up and then starts the clock."""
        self.connected += 1
        return self.connected == self.clients

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.go.set()


async def client_loop(url: str, load: Load, mix: list[dict], seed: int) -> None:
    """One MCP session calling until the deadline; a result with more pages is followed one page in three."""
    from mcp import Client

    rng = random.Random(seed)
    try:
        async with Client(url) as client:
            if load.ready():
                await warm_up(client, mix)
                load.start()
            await load.go.wait()
            while time.monotonic() < load.deadline:
                await one_search(client, rng.choice(mix), rng, load)
    except Exception as exc:  # a broken session is what this counts: go on with the other clients
        load.errors[type(exc).__name__] += 1
        if not load.go.is_set() and load.ready():  # a client that failed to connect must not hold the others back
            load.start()


async def warm_up(client, mix: list[dict]) -> None:
    """Every query once before the clock starts, so lazy imports (the date parser) are not counted as growth."""
    for arguments in mix:
        await client.call_tool("search_image_sets", arguments)


async def one_search(client, arguments: dict, rng: random.Random, load: Load) -> None:
    for _ in range(3):
        started = time.perf_counter()
        result = await client.call_tool("search_image_sets", arguments)
        load.latencies.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            load.errors["tool error"] += 1
            return
        token = (result.structured_content or {}).get("next_token")
        if not token or rng.random() > 1 / 3:
            return
        arguments = {"next_token": token}


async def run_load(url: str, load: Load, mix: list[dict], on_start) -> None:
    async def started():
        await load.go.wait()
        on_start()

    await asyncio.gather(started(), *(client_loop(url, load, mix, seed) for seed in range(load.clients)))


class RawSession:
    """A hand-made MCP session over plain HTTP, for bodies no SDK client would send."""

    def __init__(self, url: str):
        self.url = url
        self.headers = dict(HEADERS)
        hello = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                 "clientInfo": {"name": "soak", "version": "1"}}
        _, headers, _ = self.post(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello}))
        self.headers |= {"mcp-session-id": headers["mcp-session-id"], "mcp-protocol-version": PROTOCOL_VERSION}
        self.post(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def post(self, body: str) -> tuple[int, dict, str]:
        request = urllib.request.Request(self.url, data=body.encode(), headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, {}, error.read().decode()

    def call(self, arguments_json: str) -> tuple[float, str]:
        """(milliseconds, how it was refused or "ACCEPTED") of one tools/call with these arguments as JSON text."""
        body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_image_sets","arguments":'
        started = time.perf_counter()
        status, _, text = self.post(body + arguments_json + "}}")
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, refusal_kind(status, text)


def refusal_kind(status: int, text: str) -> str:
    data = next((line[6:] for line in text.splitlines() if line.startswith("data: ")), text)
    try:
        message = json.loads(data)
    except ValueError:
        return f"HTTP {status}"
    if "error" in message:
        return f"JSON-RPC {message['error']['code']}"
    result = message.get("result", {})
    if result.get("isError"):
        return "tool error: " + result["content"][0]["text"][:120]
    return "ACCEPTED"


OVERSIZED = {
    "1 MB string": json.dumps({"patient_id": "x" * 1_000_000}),
    "10,000-item list": json.dumps({"modality": ["CT"] * 10_000}),
    "JSON nested 1,000 deep": '{"search_criteria":' + '{"a":' * 1000 + "1" + "}" * 1000 + "}",
    "JSON text nested 1,000 deep": json.dumps({"search_criteria": "[" * 1000 + "]" * 1000}),
}


def refusals(url: str) -> dict:
    session = RawSession(url)
    found = {}
    for name, arguments in OVERSIZED.items():
        timed = [session.call(arguments) for _ in range(REFUSAL_REPEATS)]
        found[name] = {"median_ms": round(statistics.median(ms for ms, _ in timed), 1), "answer": timed[-1][1]}
    return found


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--db", type=Path, help="a datastore file holding the demo datastore (default: build one)")
    parser.add_argument("--debug", action="store_true", help="run the server with --debug")
    parser.add_argument("--server-log", type=Path, help="keep the server's stderr in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imageset-search-soak-") as folder:
        db = args.db or demo_db(Path(folder))
        log_path = args.server_log or Path(folder) / "server.log"
        port = free_port()
        with open(log_path, "w") as log:
            server = start_server(db, port, args.debug, log)
            try:
                result = soak(server, f"http://127.0.0.1:{port}/mcp", args, queries(db))
            finally:
                server.terminate()
                server.wait(30)
    print(json.dumps(result))


def soak(server: subprocess.Popen, url: str, args, mix: list[dict]) -> dict:
    load = Load(args.clients, args.seconds)
    sampler = MemorySampler(server.pid)
    connecting = time.monotonic()
    asyncio.run(run_load(url, load, mix, on_start=sampler.start))
    sampler.stop.set()
    sampler.join()
    connect_seconds = round(load.deadline - args.seconds - connecting, 1)
    warmup = min(60.0, args.seconds / 6)
    latencies, errors = load.latencies, load.errors
    print(f"{len(latencies)} calls by {args.clients} clients in {args.seconds:g} s, errors {dict(errors)}",
          file=sys.stderr)  # fmt: skip
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "connect_and_warm_up_seconds": connect_seconds,
        "calls": len(latencies),
        "calls_per_second": round(len(latencies) / args.seconds, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "rss_mb": {
            "after_warmup": sampler.at(warmup),
            "minute_1": sampler.at(min(60.0, sampler.samples[-1][0])) if sampler.samples else None,
            "end": sampler.samples[-1][1] if sampler.samples else None,
            "peak": max((rss for _, rss in sampler.samples), default=None),
        },
        "warmup_seconds": round(warmup, 1),
        "server_alive": server.poll() is None,
        "refusals": refusals(url),
    }


if __name__ == "__main__":
    main()
