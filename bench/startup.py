"""How fast `imageset-search serve` answers a desktop host: cold starts over stdio, from process start to a finished
`initialize` and to a finished `tools/list`.

Usage: python bench/startup.py [--runs 10] [--imports 20]

Each run starts a fresh Python (the `imageset-search` script beside this interpreter, as a host runs it) on an empty
temporary datastore path: nothing but imports and the handshake is measured, as the datastore opens on first use.
The target is a median `initialize` of at most 1.0 s. `--imports N` adds one run under `python -X importtime` and
prints on stderr the N imports that cost most (cumulative, and what each adds itself), to show what to make lazy.
The last line of stdout is one JSON object: runs, and median, p95, min and max in seconds of both steps and of the
CPU time each server used, beside the medians of a fresh Python that does nothing and of one that only imports the
MCP SDK's server (the floors), and the machine's load (wall times on a busy machine are inflated; CPU time much less).
"""

import argparse
import json
import os
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 60.0


def server_command() -> list[str]:
    """The console script a host starts, else the module (a source checkout without the script installed)."""
    script = Path(sys.executable).parent / "imageset-search"
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "imageset_search.server.cli", "serve"]


def message(method: str, number: int | None = None, params: dict | None = None) -> bytes:
    """One JSON-RPC line: a request when it has a number, else a notification."""
    found = {"jsonrpc": "2.0", "method": method}
    if number is not None:
        found["id"] = number
    if params is not None:
        found["params"] = params
    return (json.dumps(found) + "\n").encode()


def initialize() -> bytes:
    from mcp.types import LATEST_PROTOCOL_VERSION  # the parent's import: not part of what is timed

    params = {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
              "clientInfo": {"name": "bench-startup", "version": "1"}}  # fmt: skip
    return message("initialize", 1, params)


def answer(stdout, number: int, deadline: float) -> dict:
    """The response with this id (stdout carries protocol only, so every line must be JSON-RPC)."""
    buffer = b""
    while True:
        if not select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError(f"no answer to request {number} within {READ_TIMEOUT_SECONDS} s")
        chunk = os.read(stdout.fileno(), 65536)
        if not chunk:
            raise RuntimeError(f"the server closed stdout before answering request {number}")
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            reply = json.loads(line)
            if reply.get("id") == number:
                if "error" in reply:
                    raise RuntimeError(f"request {number} failed: {reply['error']}")
                return reply["result"]


def one_start(folder: str, hello: bytes) -> tuple[float, float, float]:
    """Seconds from process start to the initialize answer and to the tools/list answer, and the CPU seconds the
    server used in all (start to exit): the figure a busy machine inflates least."""
    env = dict(os.environ, IMAGESET_SEARCH_DB=str(Path(folder) / "unused.sqlite3"), HOME=folder)
    deadline = time.monotonic() + READ_TIMEOUT_SECONDS
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(Path(folder) / "stderr.log", "wb") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                   env=env, cwd=folder)  # fmt: skip
        try:
            process.stdin.write(hello)
            process.stdin.flush()
            answer(process.stdout, 1, deadline)
            initialized = time.perf_counter() - started
            process.stdin.write(message("notifications/initialized") + message("tools/list", 2))
            process.stdin.flush()
            tools = answer(process.stdout, 2, deadline)["tools"]
            listed = time.perf_counter() - started
        finally:
            process.stdin.close()
            process.wait(timeout=READ_TIMEOUT_SECONDS)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # children are waited for one at a time: this one's use
    if not tools:
        raise RuntimeError("tools/list returned no tools")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return initialized, listed, cpu


def stats(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3),
            "min": round(ordered[0], 3), "max": round(ordered[-1], 3)}  # fmt: skip


def import_times(folder: str) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of every import of one start under -X importtime."""
    command = [sys.executable, "-X", "importtime", "-m", "imageset_search.server.cli", "serve"]
    env = dict(os.environ, IMAGESET_SEARCH_DB=str(Path(folder) / "unused.sqlite3"), HOME=folder)
    run = subprocess.run(command, input=b"", capture_output=True, env=env, cwd=folder, timeout=READ_TIMEOUT_SECONDS)
    rows = []
    for line in run.stderr.decode().splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(cumulative), int(own), name.strip()))
    return rows


def print_costly_imports(rows: list[tuple[int, int, str]], count: int) -> None:
    """The costliest imports, then each top-level package's own share: what pulls the time, and who owns it."""
    print(f"{'cumulative ms':>14} {'self ms':>8}  module (indent: imported by the line above)", file=sys.stderr)
    for cumulative, own, name in sorted(rows, key=lambda row: row[0], reverse=True)[:count]:
        print(f"{cumulative / 1000:14.1f} {own / 1000:8.1f}  {name}", file=sys.stderr)
    packages: dict[str, int] = {}
    for _, own, name in rows:
        top = name.split(".")[0]
        packages[top] = packages.get(top, 0) + own
    print("self ms by top-level package:", file=sys.stderr)
    for top, own in sorted(packages.items(), key=lambda item: item[1], reverse=True)[:count]:
        print(f"{own / 1000:8.1f}  {top}", file=sys.stderr)
    heavy = [name for _, _, name in rows if name.split(".")[0] in ("boto3", "botocore", "pydicom", "dateparser")]
    print(f"boto3/botocore/pydicom/dateparser imported at start: {', '.join(heavy) or 'none'}", file=sys.stderr)


def bare_start(code: str) -> tuple[float, float]:
    """Seconds (wall, CPU) a fresh Python takes to run `code`: a floor under the server's start on this machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=READ_TIMEOUT_SECONDS)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold starts to measure (default 10)")
    parser.add_argument("--imports", type=int, default=0, metavar="N", help="also list the N costliest imports")
    options = parser.parse_args()
    hello = initialize()
    folder = tempfile.mkdtemp(prefix="bench-startup-")
    try:
        timings = [one_start(folder, hello) for _ in range(options.runs)]
        python_only = [bare_start("pass") for _ in range(options.runs)]
        sdk_only = [bare_start("import mcp.server.mcpserver") for _ in range(options.runs)]
        if options.imports:
            print_costly_imports(import_times(folder), options.imports)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    initialize_s = stats([first for first, _, _ in timings])
    summary = {
        "runs": options.runs,
        "command": " ".join(Path(part).name for part in server_command()),
        "initialize_s": initialize_s,
        "tools_list_s": stats([second for _, second, _ in timings]),
        "server_cpu_s": stats([cpu for _, _, cpu in timings]),
        "python_alone_median_s": stats([wall for wall, _ in python_only])["median"],
        "mcp_sdk_import_median_s": stats([wall for wall, _ in sdk_only])["median"],
        "mcp_sdk_import_cpu_median_s": stats([cpu for _, cpu in sdk_only])["median"],
        "target_initialize_median_s": TARGET_SECONDS,
        "meets_target": initialize_s["median"] <= TARGET_SECONDS,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
