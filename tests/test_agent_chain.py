"""examples/agent_chain.py run as a real process: it starts the stdio server itself and chains two tools.

The store is a small demo datastore plus one patient (written as DICOM and imported): CTs in March and September of
YEAR, an MR in November of YEAR, and a CT the year before, so a search of YEAR finds three studies and the newest CT is
September's. YEAR is fixed, not "last year": the server is another process, with its own clock, so a phrase relative
to today would tie the test to the day (and to a run that crosses New Year).
"""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DEMO_TODAY

from imageset_search.datastores.local.demo import KINDS, Patient, Series, Study, Upload, build_demo, write_upload
from imageset_search.datastores.local.importer import read_instance
from imageset_search.datastores.local.store import LocalStore

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "agent_chain.py"
PATIENT = Patient("CHAIN-PAT-1", "Chain^Test", "19600101", "M")
CT_CHEST, CT_ABDOMEN, CT_HEAD, MR_BRAIN = KINDS[0], KINDS[1], KINDS[2], KINDS[3]
YEAR = 2025
PATIENT_UID = "2.25.77"  # the root of this patient's study UIDs


def _uploads() -> list[tuple[str, Upload]]:
    """(label, upload) of each series of the patient; labels name the ones the test looks for."""
    plan = [
        ("march", CT_CHEST, f"{YEAR}0303", 1, 2),
        ("september", CT_ABDOMEN, f"{YEAR}0909", 1, 3),
        ("september-2", CT_ABDOMEN, f"{YEAR}0909", 2, 1),
        ("november-mr", MR_BRAIN, f"{YEAR}1111", 1, 1),
        ("older", CT_HEAD, f"{YEAR - 1}0606", 1, 1),
    ]
    uploads, studies = [], {}
    for label, kind, day, number, instances in plan:
        key = (kind.modality, day)
        if key not in studies:
            uid = f"{PATIENT_UID}{len(studies)}"
            studies[key] = Study(PATIENT, uid, str(len(studies)), f"ACC{len(studies)}", day, "120000",
                                 kind.study_descriptions[0], kind)  # fmt: skip
        series = Series(studies[key], f"{studies[key].uid}.{number}", number, kind.series_descriptions[0])
        sop_uids = tuple(f"{series.uid}.{i}" for i in range(1, instances + 1))
        uploads.append((label, Upload(datetime(YEAR, 12, 1, tzinfo=UTC), series, sop_uids)))
    return uploads


@pytest.fixture(scope="module")
def chain_db(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The store's file and the image set id of each labelled series."""
    folder = tmp_path_factory.mktemp("chain")
    ids = {}
    with LocalStore(folder / "chain.sqlite3") as store:
        datastore_id = build_demo(store, image_sets=40, seed=3, today=DEMO_TODAY)
        for index, (label, upload) in enumerate(_uploads()):
            instances = [read_instance(path) for path in write_upload(folder / "dicom", index, upload)]
            (ids[label],) = store.add_instances(datastore_id, instances, now=upload.at).image_set_ids
    return folder / "chain.sqlite3", ids


RUNS = {
    "newest": ("--page-size", "2", "--study-date", str(YEAR)),
    "no-ct": ("--study-date", f"November {YEAR}"),
    "tool-error": ("--page-size", "0"),
    "server-stops": ("--timezone", "Not/AZone"),
}


@pytest.fixture(scope="module")
def runs(chain_db) -> dict[str, subprocess.CompletedProcess]:
    """Each run of the script (its own server process each), started together: they only read the store."""
    db, _ = chain_db
    base = [sys.executable, str(SCRIPT), "--db", str(db), "--patient-id", PATIENT.patient_id, "--timezone", "UTC"]
    started = {
        name: subprocess.Popen(base + list(options), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, options in RUNS.items()
    }
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=180)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


def test_the_chain_finds_a_years_studies_and_reads_the_newest_ct(chain_db, runs):
    ids, done = chain_db[1], runs["newest"]
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["studies"] == 3 and outcome["pages"] == 2  # four image sets, two per page
    assert outcome["newest_ct"] == {"image_set_id": ids["september"], "study_date": f"{YEAR}0909",
                                    "instance_count": 3}  # fmt: skip
    assert f"{YEAR}-01-01 to {YEAR}-12-31" in done.stdout  # it said what the year was read as
    assert "get_image_set_metadata" in done.stdout and "instance 3: 2x2" in done.stdout
    assert PATIENT_UID not in done.stdout  # no study, series or instance UIDs printed
    assert PATIENT.patient_id not in done.stderr and PATIENT.name not in done.stderr


def test_a_period_without_a_ct_ends_with_status_1(runs):
    done = runs["no-ct"]
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"studies": 1, "pages": 1, "newest_ct": None}
    assert "no CT" in done.stdout


def test_a_tool_error_ends_with_status_2_and_the_tools_words(runs):
    done = runs["tool-error"]
    assert done.returncode == 2
    assert "a tool call failed" in done.stderr and "max_items" in done.stderr


def test_a_server_that_stops_ends_with_status_2_in_one_line(runs):
    done = runs["server-stops"]
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("the server stopped answering")
