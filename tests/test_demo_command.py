"""`imageset-search demo`, the README's main job, run as a new user runs it."""

import json
import os
import subprocess
import sys

from conftest import EXAMPLES
from imageset_search.server.commands.demo import CLI_EXAMPLES


def test_the_inlined_examples_are_the_example_files():
    files = sorted(EXAMPLES.glob("example-*.json"))
    assert [json.loads(path.read_text()) for path in files] == CLI_EXAMPLES


def test_demo_builds_the_datastore_and_searches_it(tmp_path):
    command = [sys.executable, "-m", "imageset_search.server.cli", "demo", "--db", str(tmp_path / "demo.sqlite3"),
               "--timezone", "Europe/Berlin"]  # fmt: skip
    env = dict(os.environ, HOME=str(tmp_path))
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    sections = first.stdout.split("\n== ")[1:]
    assert len(sections) == 4 + 4
    assert "Building the demo datastore" in first.stdout
    assert "Melissa844 Huel628" in sections[0] and "Found 1 image set in 1 study" in sections[0]
    assert all("Found " in section and "error" not in section.lower() for section in sections)
    assert "Read: study date 1999-10-01 to 1999-12-31" in sections[5]
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 0 and "Building" not in again.stdout
    assert again.stdout.split("\n== ")[1:] == sections
