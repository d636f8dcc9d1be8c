"""The `import` and `demo-data` commands, run as the user runs them: a separate process, files on disk."""

import io
import os
import pty
import subprocess
import sys

from imageset_search.datastores.local.demo import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID, write_dicom_files
from imageset_search.datastores.local.importer import read_instance
from imageset_search.datastores.local.store import LocalStore
from imageset_search.datastores.local.importer import ImportReport
from imageset_search.server.commands.import_files import LISTED_SKIPS, ProgressLine, summary

# The console script's own code (`imageset-search ...`), so the test needs no installed script on PATH.
CLI = [sys.executable, "-c", "import sys; from imageset_search.server.cli import main; sys.exit(main())"]


def cli(*args, **options):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120, **options)


def patient_values(files):
    """Every patient value in the files, to check none of them is ever printed."""
    values = set()
    for path in files:
        tags = read_instance(path).tags
        values |= {tags["DICOMPatientId"], tags["DICOMPatientName"], tags["DICOMPatientBirthDate"]}
    return values


def test_import_prints_a_summary_and_skipped_files_but_no_patient_data(tmp_path):
    files = write_dicom_files(tmp_path / "in", 12, seed=3)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    db = tmp_path / "store.sqlite3"

    first = cli("import", tmp_path / "in", "--db", db)
    again = cli("import", tmp_path / "in", "--db", db)
    other = cli("import", files[0], "--db", db, "--datastore", "other")
    default_id = first.stdout.split("(", 1)[1].split(")", 1)[0]
    by_id = cli("import", files[1], "--db", db, "--datastore", default_id)

    assert (first.returncode, first.stderr) == (0, "")  # not a terminal: no progress line
    lines = first.stdout.splitlines()
    assert lines[0].startswith("Imported 12 instances from 13 files into new datastore 'default' (")
    assert "0 instances already stored, 1 file skipped." in lines[0]
    assert lines[1:] == [f"  skipped {tmp_path / 'in' / 'notes.txt'}: not a DICOM file"]
    assert again.returncode == 0
    assert again.stdout.startswith("Imported 0 instances from 13 files into datastore 'default'")
    assert "0 image sets created, 0 updated, 12 instances already stored" in again.stdout
    assert other.stdout.startswith("Imported 1 instance from 1 file into new datastore 'other'")
    assert by_id.stdout.startswith(f"Imported 0 instances from 1 file into datastore 'default' ({default_id})")
    printed = first.stdout + again.stdout + other.stdout
    assert not [value for value in patient_values(files) if value in printed]
    with LocalStore(db) as store:
        names = {summary["datastoreName"] for summary in store.list_datastores()["datastoreSummaries"]}
    assert names == {"default", "other"}


def test_import_of_a_missing_path_is_a_one_line_error_and_imports_nothing(tmp_path):
    write_dicom_files(tmp_path / "in", 2, seed=1)
    db = tmp_path / "store.sqlite3"

    result = cli("import", tmp_path / "in", tmp_path / "nowhere", "--db", db)

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "no such file or folder" in result.stderr and "nowhere" in result.stderr
    assert not db.exists()


def test_import_into_an_unknown_datastore_id_is_an_error(tmp_path):
    write_dicom_files(tmp_path / "in", 1, seed=1)

    result = cli("import", tmp_path / "in", "--db", tmp_path / "s.sqlite3", "--datastore", "0" * 32)

    assert result.returncode == 2
    assert "no datastore has id 00000000000000000000000000000000" in result.stderr


def test_import_shows_progress_on_a_terminal(tmp_path):
    write_dicom_files(tmp_path / "in", 5, seed=2)
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [*CLI, "import", str(tmp_path / "in"), "--db", str(tmp_path / "s.sqlite3")],
            stdout=subprocess.PIPE, stderr=follower, text=True, timeout=120,
        )
        shown = read_all(leader)
    finally:
        os.close(leader)
        os.close(follower)

    assert result.returncode == 0
    assert "\rimporting: 0/5 files (0%)" in shown and "\rimporting: 5/5 files (100%)" in shown
    assert shown.endswith("\n")


def read_all(fd: int) -> str:
    """What a finished writer left in a pseudo-terminal."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return b"".join(chunks).decode()
        chunks.append(chunk)


def test_progress_line_updates_once_a_percent():
    stream = io.StringIO()
    progress = ProgressLine(stream)
    for done in range(0, 2001):
        progress(done, 2000)
    progress.finish()

    updates = stream.getvalue().split("\r")[1:]
    assert len(updates) == 101
    assert updates[0] == "importing: 0/2000 files (0%)" and updates[1] == "importing: 20/2000 files (1%)"
    assert updates[-1] == "importing: 2000/2000 files (100%)\n"


def test_a_long_list_of_skipped_files_is_cut_short_and_counted_by_reason():
    skipped = [(f"f{n}", "not a DICOM file") for n in range(LISTED_SKIPS + 3)] + [("g", "no SOPInstanceUID")]
    report = ImportReport(files_seen=len(skipped), skipped=skipped)

    lines = summary(report, "default", "0" * 32, created=False).splitlines()

    assert len(lines) == 1 + LISTED_SKIPS + 2
    assert lines[1] == "  skipped f0: not a DICOM file"
    assert lines[-2:] == ["  and 1 more skipped: no SOPInstanceUID", "  and 3 more skipped: not a DICOM file"]


def test_demo_data_builds_and_rebuilds_the_demo_datastore(tmp_path):
    db = tmp_path / "demo.sqlite3"

    first = cli("demo-data", "--db", db, "--image-sets", 12, "--seed", 4, "--today", "2026-06-01")
    second = cli("demo-data", "--db", db, "--image-sets", 12, "--seed", 4, "--today", "2026-06-01")
    bad = cli("demo-data", "--db", db, "--image-sets", "zero")
    bad_day = cli("demo-data", "--db", db, "--today", "1 June")

    assert first.returncode == second.returncode == 0
    assert first.stdout.startswith(
        f"Built datastore 'demo' ({DEMO_DATASTORE_ID}) with 12 image sets (seed 4, today 2026-06-01)"
    )
    assert bad.returncode == 2 and "give 1 or more" in bad.stderr
    assert bad_day.returncode == 2 and "YYYY-MM-DD" in bad_day.stderr and "1 June" not in bad_day.stderr
    with LocalStore(db) as store:
        page = store.search_image_sets(DEMO_DATASTORE_ID, max_results=50)
    assert len(page["imageSetsMetadataSummaries"]) == 12 and "nextToken" not in page
    assert DOCUMENTED_IMAGE_SET_ID in {summary["imageSetId"] for summary in page["imageSetsMetadataSummaries"]}


def test_demo_data_with_the_same_seed_size_and_today_builds_the_same_store(tmp_path):
    """A demo store can be rebuilt exactly (for a bug report): every stored row is the same, on any day it is built."""

    def build(name, today):
        db = tmp_path / f"{name}.sqlite3"
        assert cli("demo-data", "--db", db, "--image-sets", 15, "--seed", 2, "--today", today).returncode == 0
        with LocalStore(db) as store:
            return [summary_row for summary_row in _all_summaries(store)]

    first, again, later = build("first", "2024-02-29"), build("again", "2024-02-29"), build("later", "2028-02-29")

    assert first == again and len(first) == 15
    assert first != later  # --today moves the timestamps


def _all_summaries(store):
    found, token = [], None
    while True:
        page = store.search_image_sets(DEMO_DATASTORE_ID, max_results=50, next_token=token)
        found += page["imageSetsMetadataSummaries"]
        if not (token := page.get("nextToken")):
            return found
