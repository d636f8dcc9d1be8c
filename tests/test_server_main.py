"""`python -m imageset_search.server` and `python -m imageset_search.server.cli` run the same command line, and a
command's CommandError ends as one line and exit code 2 under both (no second copy of the error class)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["imageset_search.server", "imageset_search.server.cli"])
def test_a_command_error_is_one_line_and_exit_code_2(module, tmp_path):
    missing = tmp_path / "missing"
    command = [sys.executable, "-m", module, "import", "--db", str(tmp_path / "store.sqlite3"), str(missing)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("imageset-search import: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
