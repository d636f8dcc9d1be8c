"""--db edge cases of the import command (issue 13, break 8): a read-only store file, a file of a newer schema, and
two imports creating the same new datastore name at once."""

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import threading

import pytest

from imageset_search.datastores.local.demo import write_dicom_files
from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.commands.import_files import open_or_create

CLI = [sys.executable, "-c", "import sys; from imageset_search.server.cli import main; sys.exit(main())"]


def cli(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def dicom(tmp_path):
    return write_dicom_files(tmp_path / "in", 3, seed=5)[0].parent


def read_only(path):
    """Make `path` unwritable even for root (whose writes ignore permissions): chattr +i where it runs as root."""
    import os

    path.chmod(0o444)
    if os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root where chattr +i is not available: cannot make a file read-only")


def writable(path):
    subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o644)


def test_a_read_only_store_file_is_a_one_line_refusal(tmp_path, demo_db, dicom):
    db = tmp_path / "copy.sqlite3"
    shutil.copy(demo_db, db)
    read_only(db)
    try:
        before = digest(db)
        for datastore in ("demo", "a-new-one"):  # an import into an existing datastore, and one creating a new one
            done = cli("import", dicom, "--db", db, "--datastore", datastore)
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1 and "read-only" in done.stderr
        assert digest(db) == before
    finally:
        writable(db)


def test_a_newer_schema_is_refused_and_the_file_left_byte_identical(tmp_path, demo_db, dicom):
    db = tmp_path / "future.sqlite3"
    shutil.copy(demo_db, db)
    with sqlite3.connect(db) as connection:  # as a later release might leave it: rollback journal, version 99
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = digest(db)
    for command in (["import", dicom], ["search-image-sets", "--datastore-id", "0" * 32]):
        done = cli(*command, "--db", db)
        assert done.returncode != 0 and "schema version 99" in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert digest(db) == before


class RacingStore(LocalStore):
    """A store whose first lookup of a name lets another process-like store create that name just after: the
    interleaving two imports meet when both start on a new datastore name at the same moment."""

    def __init__(self, path, rival: LocalStore):
        super().__init__(path)
        self.rival = rival
        self.raced = False

    def resolve_datastore(self, name_or_id=None):
        try:
            return super().resolve_datastore(name_or_id)
        finally:
            if not self.raced:
                self.raced = True
                thread = threading.Thread(target=self.rival.create_datastore, args=(name_or_id,))
                thread.start()
                thread.join()


def test_two_imports_creating_the_same_name_get_one_datastore(tmp_path):
    db = tmp_path / "race.sqlite3"
    with LocalStore(db) as rival, RacingStore(db, rival) as store:
        datastore_id, created = open_or_create(store, "shared")
        names = [summary["datastoreName"] for summary in store.list_datastores()["datastoreSummaries"]]
        assert names == ["shared"] and not created
        assert datastore_id == store.resolve_datastore("shared")
