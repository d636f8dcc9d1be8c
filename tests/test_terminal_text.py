"""No value reaches a terminal as control characters: the importer stores none, and text and table output escape
whatever a datastore returns (an AWS datastore's values were never cleaned by this importer)."""

import os

import pytest
from local_instances import make_instance

from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.cli import main
from imageset_search.server.terminal_text import printable

HOSTILE_NAME = "Doe\x1b[2J^Jane\u202e\u3000\x9b"  # clear screen, right-to-left override, ideographic space, CSI


@pytest.fixture
def hostile_db(tmp_path, monkeypatch):
    """A store holding a name with control characters, added as a datastore might hold it, not as imported."""
    for name in list(os.environ):
        if name.startswith(("IMAGESET_SEARCH_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "store.sqlite3"
    with LocalStore(path) as store:
        datastore_id = store.create_datastore("hostile")
        store.add_instances(datastore_id, [make_instance(DICOMPatientName=HOSTILE_NAME)])
    return path, datastore_id


def test_printable_escapes_acting_characters_and_keeps_every_other():
    assert printable(HOSTILE_NAME) == "Doe\\x1b[2J^Jane\\u202e\u3000\\x9b"
    assert printable({"a\nb": ["ok", 3, None, "tab\there"]}) == {"a\\nb": ["ok", 3, None, "tab\\there"]}
    assert printable("山田^太郎 Müller") == "山田^太郎 Müller"


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_the_search_table_escapes_what_the_datastore_returns(capsys, hostile_db):
    db, datastore_id = hostile_db
    out = run(capsys, "search", "--db", str(db), "--datastore-id", datastore_id, "--output", "table")
    assert "Doe\\x1b[2J^Jane\\u202e" in out
    assert not any(char in out for char in "\x1b\u202e\x9b")


@pytest.mark.parametrize("output", ["text", "table"])
def test_search_image_sets_text_and_table_escape_it_too(capsys, hostile_db, output):
    db, datastore_id = hostile_db
    out = run(capsys, "search-image-sets", "--db", str(db), "--datastore-id", datastore_id, "--output", output)
    assert "\\x1b[2J" in out and not any(char in out for char in "\x1b\u202e\x9b")
