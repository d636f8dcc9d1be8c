"""50 concurrent MCP clients over streamable HTTP for 10 s: no errors, flat memory, clean refusals, a PHI-free log.

This is bench/soak.py's own run, shortened (the full minute is the benchmark's): the server is a real process on
loopback with --debug, the clients search with the demo's real patient IDs, and the script's JSON line is checked.
Latencies are recorded by the script but not judged here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO_DATASTORE_ID
from reliability import phi

pytestmark = pytest.mark.slow

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
GROWTH_SHARE, GROWTH_MB = 0.2, 10  # RSS may end at most 20% + 10 MB above its level after the warm-up


@pytest.fixture(scope="module")
def soaked(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("soak")
    log = folder / "server.log"
    done = subprocess.run(
        [sys.executable, str(SOAK), "--seconds", "10", "--clients", "50", "--db", str(demo_db), "--debug",
         "--server-log", str(log)],  # fmt: skip
        capture_output=True, text=True, timeout=300, env=dict(os.environ, HOME=str(folder)),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), log.read_text()


def test_fifty_clients_for_ten_seconds_meet_no_error(soaked):
    result, _ = soaked
    assert result["errors"] == 0, result["error_kinds"]
    assert result["calls"] >= result["clients"] and result["server_alive"]


def test_server_memory_stays_flat_after_the_warm_up(soaked):
    rss = soaked[0]["rss_mb"]
    assert rss["end"] <= rss["after_warmup"] * (1 + GROWTH_SHARE) + GROWTH_MB, rss


def test_oversized_input_over_http_is_refused_in_words_or_by_the_protocol(soaked):
    for name, refusal in soaked[0]["refusals"].items():
        answer = refusal["answer"]
        assert answer.startswith(("tool error: ", "JSON-RPC ", "HTTP 4")), (name, answer)
        assert "failed inside the server" not in answer, (name, answer)
        assert answer.rstrip() != "tool error: Error executing tool search_image_sets", (name, answer)


def test_the_debug_log_of_the_load_holds_no_patient_data(soaked, demo_store):
    _, log = soaked
    assert "search_image_sets called with" in log  # --debug was on: the project's own lines are there
    assert phi.leaks(log, phi.values(demo_store, DEMO_DATASTORE_ID)) is None
    assert "Traceback" not in log
