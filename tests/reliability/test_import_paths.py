"""What the import command prints and skips (issue 13, breaks 6 and 7): file names cannot forge its output, and
every path it does not import is counted with a reason, folders reached through links included."""

import os
import subprocess
import sys

import pytest

from imageset_search.datastores.local.demo import write_dicom_files

CLI = [sys.executable, "-c", "import sys; from imageset_search.server.cli import main; sys.exit(main())"]
FORGED = "x\n\x1b[32mImported 999 instances from 999 files\x1b[0m\r.dcm"


def cli(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_a_file_name_cannot_forge_the_summary(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / FORGED).write_text("not an image")
    done = cli("import", folder, "--db", tmp_path / "db.sqlite3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Imported 0 instances from 1 file")
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert lines[1] == f"  skipped {str(folder / FORGED)!r}: not a DICOM file"


def test_a_missing_path_with_escapes_is_named_escaped(tmp_path):
    done = cli("import", tmp_path / FORGED, "--db", tmp_path / "db.sqlite3")
    assert done.returncode == 2 and "\x1b" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_linked_folder_is_followed_and_a_loop_reported(tmp_path):
    write_dicom_files(tmp_path / "elsewhere", 3, seed=7)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "in" / "loop").symlink_to(tmp_path / "in")
    (tmp_path / "in" / "linked-again").symlink_to(tmp_path / "elsewhere")
    done = cli("import", tmp_path / "in", "--db", tmp_path / "db.sqlite3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported 3 instances from 3 files"), done.stdout
    skipped = sorted(line.split(": ", 1)[0].strip() for line in done.stdout.splitlines()[1:])
    assert skipped == [f"skipped {tmp_path / 'in' / 'linked-again'}", f"skipped {tmp_path / 'in' / 'loop'}"]
    assert "a link to a folder imported already" in done.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder: no unreadable folder can be made")
def test_an_unreadable_folder_is_counted_with_its_reason(tmp_path):
    write_dicom_files(tmp_path / "in" / "open", 2, seed=8)
    (tmp_path / "in" / "closed").mkdir()
    (tmp_path / "in" / "closed").chmod(0)
    try:
        done = cli("import", tmp_path / "in", "--db", tmp_path / "db.sqlite3")
    finally:
        (tmp_path / "in" / "closed").chmod(0o755)
    assert done.returncode == 0 and "Imported 2 instances" in done.stdout
    assert f"skipped {tmp_path / 'in' / 'closed'}: folder not readable (Permission denied)" in done.stdout


def test_a_folder_the_walk_cannot_open_is_counted_with_its_reason(tmp_path):
    """Runs as root too: a folder nested past the system's path length cannot be opened by its path by anyone."""
    from imageset_search.datastores.local.importer import list_files

    handle = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(40):  # 40 names of 200 characters: past PATH_MAX (4096) on every system
            os.mkdir("d" * 200, dir_fd=handle)
            deeper = os.open("d" * 200, os.O_RDONLY, dir_fd=handle)
            os.close(handle)
            handle = deeper
    finally:
        os.close(handle)
    skipped: list[tuple[str, str]] = []
    assert list_files([tmp_path], skipped) == []
    assert len(skipped) == 1 and skipped[0][1].startswith("folder not readable (")
