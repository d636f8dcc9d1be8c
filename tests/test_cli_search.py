"""`imageset-search search`: the tool's flat fields as flags, on the demo store and on boto3 over real HTTP.

Most tests call the CLI's `main` in this process (stdout captured, so not a terminal: JSON). The terminal table and
the piped JSON are checked in real processes, one under a pseudo-terminal.
"""

import json
import os
import pty
import shlex
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401 (fixtures)

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID
from imageset_search.server.cli import main
from imageset_search.tools.models import SearchArgs
from imageset_search.tools.search import search_image_sets
from imageset_search.tools.settings import Settings
from mcp_helpers import image_set_ids

DOCUMENTED_PATIENT = "SUBJECT08701"


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch, tmp_path):
    """No IMAGESET_SEARCH_* settings from the developer's shell, and no home folder to fall back on."""
    for name in list(os.environ):
        if name.startswith("IMAGESET_SEARCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one `imageset-search search` in this process."""
    try:
        code = main(["search", *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def search_json(capsys, demo_db, *argv: str) -> dict:
    code, out, err = run_cli(capsys, "--db", str(demo_db), *argv)
    assert code == 0, err
    return json.loads(out)


def test_help_lists_a_flag_for_every_flat_field_of_the_tool(capsys):
    code, out, err = run_cli(capsys, "--help")
    assert code == 0
    flat = set(SearchArgs.model_fields) - {"search_criteria"}
    assert {name for name in flat if "--" + name.replace("_", "-") not in out} == set()


def test_piped_output_is_the_tools_structured_content(capsys, demo_db, demo_store):
    content = search_json(capsys, demo_db, "--patient-id", DOCUMENTED_PATIENT)
    direct = search_image_sets(demo_store, SearchArgs(patient_id=DOCUMENTED_PATIENT), Settings(tz=ZoneInfo("UTC")))
    assert content == direct.compact()
    assert image_set_ids(content) == [DOCUMENTED_IMAGE_SET_ID]


def test_a_patient_name_in_any_order_and_case(capsys, demo_db):
    content = search_json(capsys, demo_db, "--patient-name", "huel melissa")
    assert image_set_ids(content) == [DOCUMENTED_IMAGE_SET_ID]
    assert "patient name" in content["searched_by_service"][-1] and "scan" not in content


def test_loose_date_refinements_and_repeated_modality(capsys, demo_db):
    content = search_json(
        capsys, demo_db, "--study-date", "since 1990", "--modality", "CT", "--modality", "MR", "--max-items", "20",
        "--timezone", "Europe/Berlin", "--detail", "full",
    )  # fmt: skip
    assert any("since 1990" in line and "Europe/Berlin" in line for line in content["interpreted"])
    assert any("CT" in line and "MR" in line for line in content["searched_by_service"])
    assert 0 < content["count"] <= 20
    for item in content["image_sets"]:
        assert item["DICOMTags"]["DICOMSeriesModality"] in ("CT", "MR")
        assert item["DICOMTags"]["DICOMStudyDate"] >= "19900101"


def test_is_primary_and_fields(capsys, demo_db):
    content = search_json(capsys, demo_db, "--is-primary", "yes", "--fields", "patient_id,is_primary")
    assert content["count"] > 0
    for study in content["studies"]:
        assert set(study) <= {"patient_id", "image_sets"}
        assert all(image_set["is_primary"] is True for image_set in study["image_sets"])


def test_next_token_walks_every_image_set_once_in_order(capsys, demo_db):
    walked, token, sizes = [], None, ["7", "3", "11"]
    while True:
        size = ["--max-items", sizes[len(walked) % 3], "--detail", "full"]  # full: the service's order, ungrouped
        argv = ["--next-token", token, *size] if token else ["--modality", "CT", *size]
        content = search_json(capsys, demo_db, *argv)
        walked += image_set_ids(content)
        token = content.get("next_token")
        if not token:
            break
    assert walked == engine_walk(demo_db, SearchArgs(modality="CT", max_items=50, detail="full"))
    assert len(walked) == len(set(walked)) > 10


def test_output_table_is_chosen_explicitly_and_lists_full_summaries_flat(capsys, demo_db):
    code, out, err = run_cli(capsys, "--db", str(demo_db), "--patient-id", DOCUMENTED_PATIENT, "--detail", "full",
                             "--output", "table")  # fmt: skip
    assert code == 0, err
    header, row = [line.split() for line in out.splitlines() if line.startswith(("IMAGE SET", DOCUMENTED_IMAGE_SET_ID))]
    assert header[:5] == ["IMAGE", "SET", "VERSION", "PRIMARY", "PATIENT"]
    assert row[:5] == [DOCUMENTED_IMAGE_SET_ID, "1", "yes", DOCUMENTED_PATIENT, "1999-11-22"]


def test_datastore_from_the_environment(capsys, demo_db, monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_DB", str(demo_db))
    monkeypatch.setenv("IMAGESET_SEARCH_DATASTORE_ID", DEMO_DATASTORE_ID)
    code, out, err = run_cli(capsys, "--patient-id", DOCUMENTED_PATIENT)
    assert code == 0, err
    assert json.loads(out)["datastore_id"] == DEMO_DATASTORE_ID


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--max-items", "51"], "--max-items"),
        (["--max-items", "ten"], "--max-items"),
        (["--is-primary", "maybe"], "--is-primary"),
        (["--patient-sex", "X"], "--patient-sex"),
        (["--detail", "everything"], "--detail"),
        (["--fields", "patient_id,shoe_size"], "--fields"),
        (["--datastore-id", "not-an-id"], "--datastore-id"),
        (["--timezone", "Mars/Olympus"], "--timezone"),
        (["--study-date", "the day after never"], "date"),
        (["--next-token", "garbage"], "--next-token"),
        (["--bogus", "1"], "--bogus"),
        (["--datastore-id", "0" * 32], "ResourceNotFoundException"),
    ],
)
def test_bad_input_is_one_line_naming_what_to_fix(capsys, demo_db, argv, named):
    code, out, err = run_cli(capsys, "--db", str(demo_db), *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert named in err


@pytest.mark.parametrize(
    "argv",
    [
        [DOCUMENTED_PATIENT],
        ["--patient-id", DOCUMENTED_PATIENT, "--max-items", "0"],
        ["--is-primary", DOCUMENTED_PATIENT],
        ["--max-items", DOCUMENTED_PATIENT],
        ["--patient-sex", DOCUMENTED_PATIENT],
        ["--patient-birth-date", "19201120", "--patient-name", "Melissa844 Huel628", "--detail", "huge"],
    ],
)
def test_errors_never_repeat_patient_data(capsys, demo_db, argv):
    code, out, err = run_cli(capsys, "--db", str(demo_db), *argv)
    assert code == 2
    for value in (DOCUMENTED_PATIENT, "19201120", "Melissa844", "Huel628"):
        assert value not in err


def test_a_missing_store_file_is_reported_and_not_created(capsys, tmp_path):
    missing = tmp_path / "typo.sqlite3"
    code, out, err = run_cli(capsys, "--db", str(missing))
    assert code == 2
    assert "imageset-search demo-data" in err and "--db" in err
    assert not missing.exists()


def test_an_empty_store_says_how_to_fill_it(capsys, tmp_path):
    from imageset_search.datastores.local.store import LocalStore

    LocalStore(tmp_path / "empty.sqlite3").close()
    code, out, err = run_cli(capsys, "--db", str(tmp_path / "empty.sqlite3"))
    assert code == 2
    assert "imageset-search demo-data" in err and "import" in err


def test_the_aws_backend_searches_through_boto3_over_http(capsys, aws_env, endpoint):
    argv = ["--backend", "aws", "--endpoint-url", endpoint.url, "--region", "us-east-1", "--max-attempts", "1"]
    code, out, err = run_cli(capsys, *argv, "--datastore-id", DEMO_DATASTORE_ID, "--patient-id", DOCUMENTED_PATIENT)
    assert code == 0, err
    assert image_set_ids(json.loads(out)) == [DOCUMENTED_IMAGE_SET_ID]
    code, out, err = run_cli(capsys, *argv, "--datastore-id", "0" * 32)
    assert code == 2 and "ResourceNotFoundException" in err


# --- real processes: a terminal gets the table, a pipe gets JSON ---------------------------------------------------


def process_env(tmp_path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IMAGESET_SEARCH_")}
    return env | {"HOME": str(tmp_path), "COLUMNS": "200"}


def on_a_terminal(tmp_path, *argv: str) -> str:
    """What the command prints with its stdout on a pseudo-terminal."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "imageset_search.server.cli", "search", *argv]
    with subprocess.Popen(command, stdout=follower, stderr=subprocess.PIPE, env=process_env(tmp_path)) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait() == 0, process.stderr.read()
    os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def listed_image_sets(table: str) -> list[str]:
    rows = [line.split()[0] for line in table.splitlines() if line.startswith("  ") and line.split()]
    return [word for word in rows if len(word) == 32 and all(c in "0123456789abcdef" for c in word)]


def test_a_terminal_gets_the_table(demo_db, tmp_path):
    table = on_a_terminal(tmp_path, "--db", str(demo_db), "--patient-id", DOCUMENTED_PATIENT)
    assert "Found 1 image set in 1 study" in table
    assert "Study 1999-11-22 14:07:28" in table
    assert listed_image_sets(table) == [DOCUMENTED_IMAGE_SET_ID]
    assert "That is all" in table
    assert not table.lstrip().startswith("{")


def test_the_printed_continuation_resumes_the_search_in_a_pipe(demo_db, tmp_path):
    table = on_a_terminal(tmp_path, "--db", str(demo_db), "--study-date", "since 1990", "--max-items", "3")
    assert "(from \"since 1990\"" in table
    first = listed_image_sets(table)
    assert len(first) == 3
    [continuation] = [line.strip() for line in table.splitlines() if line.strip().startswith("imageset-search ")]
    words = shlex.split(continuation)
    command = [sys.executable, "-m", "imageset_search.server.cli", *words[1:], "--max-items", "5"]
    piped = subprocess.run(command, capture_output=True, text=True, env=process_env(tmp_path), check=True)
    content = json.loads(piped.stdout)
    following = image_set_ids(content)
    assert len(following) == 5
    assert not set(first) & set(following)
    expected = engine_walk(demo_db, SearchArgs(study_date="since 1990", max_items=8), limit=8)
    assert set(first + following) == set(expected)  # the same 8 (each page lists its image sets by study)


def engine_walk(demo_db, args: SearchArgs, limit: int | None = None) -> list[str]:
    """Image set ids of the same search run on the engine directly, to the end or to `limit`."""
    from imageset_search.datastores.local.store import LocalStore

    found = []
    with LocalStore(demo_db) as store:
        while limit is None or len(found) < limit:
            content = search_image_sets(store, args, Settings(tz=ZoneInfo("UTC"))).compact()
            found += image_set_ids(content)
            if not content.get("next_token"):
                break
            args = SearchArgs(next_token=content["next_token"], max_items=args.max_items, detail=args.detail)
    return found[:limit]
