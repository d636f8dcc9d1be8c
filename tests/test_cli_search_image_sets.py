"""`imageset-search search-image-sets` end to end on the demo datastore: AWS CLI output, paging, options, errors."""

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imageset_search.datastores.local.demo import build_demo
from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.cli import main
from imageset_search.server.aws_cli.output import iso_timestamps

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "search-criteria"
DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
PATIENT = "SUBJECT08701"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
WINDOW = {"filters": [{"values": [{"createdAt": "2020-01-01T00:00:00Z"}, {"createdAt": "2020-09-01T00:00:00Z"}],
                       "operator": "BETWEEN"}]}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with LocalStore(path) as store:
        build_demo(store, image_sets=200, seed=0, today=date(2026, 6, 1))
    return path


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No IMAGESET_SEARCH_* or AWS settings leak in from the developer's shell, and no home folder is read."""
    for name in list(os.environ):
        if name.startswith(("IMAGESET_SEARCH_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def run(capsys, db, *args, datastore=DEMO):
    base = ["search-image-sets", "--db", str(db)] + (["--datastore-id", datastore] if datastore else [])
    try:
        code = main(base + [str(arg) for arg in args])
    except SystemExit as exited:  # argparse's way out for usage mistakes, with the AWS CLI's code
        code = exited.code
    out, err = capsys.readouterr()
    return code, out, err


def search(capsys, db, *args, **kwargs):
    code, out, err = run(capsys, db, *args, **kwargs)
    assert code == 0, err
    return json.loads(out)


def ids(response):
    return [summary["imageSetId"] for summary in response["imageSetsMetadataSummaries"]]


def example(number):
    return f"file://{EXAMPLES / f'example-{number}.json'}"


@pytest.fixture(scope="module")
def everything(db):
    """Every image set, read straight from the store (the reference the command's output is checked against)."""
    with LocalStore(db) as store:
        summaries, token = [], None
        while True:
            page = store.search_image_sets(DEMO, None, 50, token)
            summaries += page["imageSetsMetadataSummaries"]
            token = page.get("nextToken")
            if not token:
                return summaries


# --- the four documented examples ---------------------------------------------------------------------------------


def test_example_1_gives_the_documented_image_set_as_the_cli_page_shows_it(capsys, db):
    response = search(capsys, db, "--search-criteria", example(1))
    assert ids(response) == [DOCUMENTED]
    summary = response["imageSetsMetadataSummaries"][0]
    assert summary["createdAt"] == summary["updatedAt"] == "2022-12-06T21:40:59.429000+00:00"
    assert summary["version"] == 1 and summary["DICOMTags"]["DICOMPatientId"] == PATIENT
    assert response["sort"] == {"sortOrder": "DESC", "sortField": "updatedAt"}  # the first page's, as botocore keeps


def test_example_2_gives_the_documented_image_set_among_studies_of_its_range(capsys, db):
    response = search(capsys, db, "--search-criteria", example(2))
    assert DOCUMENTED in ids(response)
    for summary in response["imageSetsMetadataSummaries"]:
        tags = summary["DICOMTags"]
        assert ("19900101", "000000") <= (tags["DICOMStudyDate"], tags.get("DICOMStudyTime") or "") <= ("20230101",
                                                                                                        "000000")


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_example_3_gives_the_image_sets_created_in_its_range_newest_update_first(capsys, db, everything):
    response = search(capsys, db, "--search-criteria", example(3))
    low, high = instant("1985-04-12T23:20:50.52Z"), instant("2022-04-12T23:20:50.52Z")
    expected = {s["imageSetId"] for s in everything if low <= s["createdAt"] <= high}
    assert expected and set(ids(response)) == expected and len(ids(response)) == len(expected)
    updated = [instant(s["updatedAt"]) for s in response["imageSetsMetadataSummaries"]]
    assert updated == sorted(updated, reverse=True)


def test_example_4_gives_the_series_updated_in_its_hour_oldest_update_first(capsys, db, everything):
    response = search(capsys, db, "--search-criteria", example(4))
    low, high = instant("2024-03-11T15:00:05.074-07:00"), instant("2024-03-11T16:00:05.074-07:00")
    series = "1.2.840.99999999.84710745.943275268089"
    expected = [s["imageSetId"] for s in sorted(everything, key=lambda s: (s["updatedAt"], s["imageSetId"]))
                if low <= s["updatedAt"] <= high and s["DICOMTags"].get("DICOMSeriesInstanceUID") == series]
    assert expected and ids(response) == expected


def test_timestamps_are_iso_8601_in_utc(capsys, db):
    response = search(capsys, db, "--max-items", 30)
    for summary in response["imageSetsMetadataSummaries"]:
        for key in ("createdAt", "updatedAt"):
            assert ISO.match(summary[key]), summary[key]


# --- paging -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def window_ids(everything):
    low, high = instant("2020-01-01T00:00:00Z"), instant("2020-09-01T00:00:00Z")
    chosen = [s for s in everything if low <= s["createdAt"] <= high]
    chosen.sort(key=lambda s: (s["updatedAt"], s["imageSetId"]), reverse=True)
    assert 8 <= len(chosen) <= 40, "the window should hold a few pages of the small sizes"
    return [s["imageSetId"] for s in chosen]


def test_without_max_items_every_page_is_read(capsys, db, window_ids):
    response = search(capsys, db, "--search-criteria", json.dumps(WINDOW), "--page-size", 2)
    assert ids(response) == window_ids and "NextToken" not in response


@pytest.mark.parametrize("max_items", range(1, 8))
def test_resuming_with_changing_page_sizes_prints_each_image_set_once(capsys, db, window_ids, max_items):
    page_sizes = [3, 1, 5, None, 2, 7]
    printed, token, runs = [], None, 0
    while True:
        page_size = page_sizes[runs % len(page_sizes)]
        args = ["--search-criteria", json.dumps(WINDOW), "--max-items", max_items]
        args += ["--page-size", page_size] if page_size else []
        args += ["--starting-token", token] if token else []
        response = search(capsys, db, *args)
        assert len(ids(response)) <= max_items
        printed += ids(response)
        token, runs = response.get("NextToken"), runs + 1
        if token is None:
            break
    assert printed == window_ids


def test_a_token_is_refused_with_other_criteria(capsys, db):
    token = search(capsys, db, "--search-criteria", json.dumps(WINDOW), "--max-items", 1)["NextToken"]
    code, out, err = run(capsys, db, "--search-criteria", example(1), "--starting-token", token)
    assert code == 252 and out == ""
    assert err.startswith("Error parsing parameter '--starting-token'") and "different search" in err


@pytest.mark.parametrize("token", ["garbage", "eyJ2IjoxfQ", "e30"])
def test_a_bad_token_is_a_one_line_parameter_error(capsys, db, token):
    code, out, err = run(capsys, db, "--starting-token", token)
    assert code == 252 and out == "" and err.count("\n") == 1 and "--starting-token" in err


def test_no_paginate_prints_one_raw_service_page(capsys, db):
    document = {"datastoreId": DEMO, "searchCriteria": WINDOW, "maxResults": 2}
    response = search(capsys, db, "--cli-input-json", json.dumps(document), datastore=None)
    assert len(ids(response)) == 2 and response["nextToken"] and response["sort"]["sortField"] == "updatedAt"
    single = search(capsys, db, "--no-paginate", "--search-criteria", example(1))
    assert ids(single) == [DOCUMENTED] and "sort" in single and "nextToken" not in single


def test_no_paginate_with_paging_options_is_refused(capsys, db):
    code, out, err = run(capsys, db, "--no-paginate", "--max-items", 3, "--page-size", 2)
    assert code == 252 and out == ""
    assert err == "Cannot specify --no-paginate along with pagination arguments: --page-size, --max-items\n"


# --- input: --cli-input-json, environment, skeletons --------------------------------------------------------------


def test_cli_input_json_is_read_and_options_override_it(tmp_path, capsys, db):
    document = {"datastoreId": "f" * 32, "searchCriteria": json.loads(Path(example(4)[7:]).read_text())}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    overridden = search(capsys, db, "--cli-input-json", f"file://{path}", "--search-criteria", example(1))
    assert ids(overridden) == [DOCUMENTED]  # --datastore-id and --search-criteria beat the file's values
    code, _, err = run(capsys, db, "--cli-input-json", f"file://{path}", datastore=None)
    assert code == 254 and err.startswith("An error occurred (ResourceNotFoundException)")


def test_cli_input_json_with_an_unknown_key_is_refused(capsys, db):
    code, out, err = run(capsys, db, "--cli-input-json", '{"DatastoreId": "x"}', datastore=None)
    assert code == 252 and out == ""
    assert err == ('Unknown parameter in --cli-input-json: "DatastoreId", must be one of: datastoreId, '
                   "searchCriteria, maxResults, nextToken\n")


def test_every_option_can_come_from_the_environment(monkeypatch, capsys, db):
    monkeypatch.setenv("IMAGESET_SEARCH_DB", str(db))
    monkeypatch.setenv("IMAGESET_SEARCH_DATASTORE_ID", DEMO)
    monkeypatch.setenv("IMAGESET_SEARCH_SEARCH_CRITERIA", json.dumps(WINDOW))
    monkeypatch.setenv("IMAGESET_SEARCH_MAX_ITEMS", "2")
    monkeypatch.setenv("IMAGESET_SEARCH_QUERY", "imageSetsMetadataSummaries[].imageSetId")
    code = main(["search-image-sets"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(json.loads(out)) == 2
    monkeypatch.delenv("IMAGESET_SEARCH_QUERY")
    monkeypatch.setenv("IMAGESET_SEARCH_OUTPUT", "text")
    assert main(["search-image-sets", "--max-items", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("IMAGESETSMETADATASUMMARIES\t") for line in lines) == 3  # the option beats the env


def test_a_malformed_environment_value_names_the_variable(monkeypatch, capsys, db):
    monkeypatch.setenv("IMAGESET_SEARCH_MAX_ITEMS", "many")
    code, out, err = run(capsys, db)
    assert code == 252 and "IMAGESET_SEARCH_MAX_ITEMS" in err and out == ""


def test_input_skeleton_is_the_aws_request_with_the_whole_filter_union(capsys, db):
    skeleton = search(capsys, db, "--generate-cli-skeleton", datastore=None)
    assert list(skeleton) == ["datastoreId", "searchCriteria", "maxResults", "nextToken"]
    value = skeleton["searchCriteria"]["filters"][0]["values"][0]
    assert set(value) == {"DICOMPatientId", "DICOMAccessionNumber", "DICOMStudyId", "DICOMStudyInstanceUID",
                          "DICOMSeriesInstanceUID", "createdAt", "updatedAt", "DICOMStudyDateAndTime", "isPrimary"}
    assert skeleton == search(capsys, db, "--generate-cli-skeleton", "input", datastore=None)  # same every run


def test_output_skeleton_names_every_summary_field(capsys, db):
    skeleton = search(capsys, db, "--generate-cli-skeleton", "output")
    summary = skeleton["imageSetsMetadataSummaries"][0]
    assert {"imageSetId", "version", "createdAt", "updatedAt", "isPrimary", "DICOMTags"} <= set(summary)
    assert "DICOMSeriesNumber" in summary["DICOMTags"] and "nextToken" in skeleton


def test_input_skeleton_fed_back_reaches_the_service_checks(tmp_path, capsys, db):
    skeleton = search(capsys, db, "--generate-cli-skeleton", datastore=None)
    path = tmp_path / "skeleton.json"
    path.write_text(json.dumps({**skeleton, "datastoreId": DEMO}))
    code, out, err = run(capsys, db, "--cli-input-json", f"file://{path}", datastore=None)
    assert code == 254 and err.startswith("An error occurred (ValidationException) when calling the SearchImageSets")


# --- output -------------------------------------------------------------------------------------------------------


def test_query_filters_the_output(capsys, db):
    response = search(capsys, db, "--search-criteria", example(1), "--query",
                      "imageSetsMetadataSummaries[].DICOMTags.DICOMStudyId")
    assert response == ["2011201407"]


def test_text_output_prints_page_by_page_then_the_next_token(capsys, db):
    args = ["--search-criteria", json.dumps(WINDOW), "--max-items", 3, "--page-size", 2, "--output", "text"]
    code, out, err = run(capsys, db, *args)
    lines = out.splitlines()
    assert code == 0, err
    summary = ["IMAGESETSMETADATASUMMARIES", "DICOMTAGS"]
    assert [line.split("\t")[0] for line in lines] == summary * 2 + ["SORT"] + summary + ["NEXTTOKEN"]
    token = lines[-1].split("\t")[1]
    resumed = search(capsys, db, "--search-criteria", json.dumps(WINDOW), "--max-items", 1, "--starting-token", token)
    assert len(ids(resumed)) == 1


def test_table_output_is_boxed_under_the_operation_name(capsys, db):
    code, out, err = run(capsys, db, "--search-criteria", example(1), "--output", "table")
    lines = out.splitlines()
    assert code == 0, err
    assert set(lines[0]) == {"-"} and lines[1].strip("| ") == "SearchImageSets"
    assert any(DOCUMENTED in line for line in lines) and len({len(line) for line in lines}) == 1


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, exit_code, start",
    [
        (["--search-criteria", '{"filters": [}'], 252, "Error parsing parameter '--search-criteria': Invalid JSON"),
        (["--search-criteria", "file://no/such/criteria.json"], 252,
         "Error parsing parameter '--search-criteria': Unable to load paramfile"),
        (["--search-criteria", "[1, 2]"], 252, "Error parsing parameter '--search-criteria': expected a JSON object"),
        (["--search-criteria", json.dumps({"filters": [WINDOW["filters"][0]] * 3})], 254,
         "An error occurred (ValidationException) when calling the SearchImageSets operation:"),
        (["--output", "yaml"], 252, "imageset-search search-image-sets: error: argument --output"),
        (["--page-size", "x"], 252, "imageset-search search-image-sets: error: argument --page-size"),
        (["--max-items", "0"], 252, "Bad value for --max-items"),
        (["--page-size", "51"], 254, "An error occurred (ValidationException) when calling the SearchImageSets"),
        (["--query", "imageSetsMetadataSummaries[?"], 252, "Bad value for --query"),
        (["--timezone", "Mars/Olympus"], 252, "Bad value for --timezone"),
        (["--patient-id", PATIENT], 252, "imageset-search search-image-sets: error: unknown options: --patient-id"),
    ],
)
def test_bad_input_gets_one_line_and_the_aws_exit_code(capsys, db, args, exit_code, start):
    code, out, err = run(capsys, db, *args)
    assert (code, out) == (exit_code, "")
    assert err.startswith(start) and err.count("\n") == 1, err
    assert PATIENT not in err


def test_an_unknown_datastore_is_a_service_error_saying_which_exist(capsys, db):
    code, out, err = run(capsys, db, "--search-criteria", example(1), datastore="0" * 32)
    assert code == 254 and out == "" and err.count("\n") == 1
    assert err.startswith("An error occurred (ResourceNotFoundException) when calling the SearchImageSets operation")
    assert DEMO in err and PATIENT not in err


def test_a_missing_datastore_id_says_where_it_can_come_from(capsys, db):
    code, out, err = run(capsys, db, datastore=None)
    assert code == 252 and "--datastore-id" in err and "IMAGESET_SEARCH_DATASTORE_ID" in err


def test_failed_searches_leave_the_store_as_it_was(capsys, db, everything):
    for bad in ('{"filters": [}', json.dumps({"filters": [WINDOW["filters"][0]] * 3})):
        assert run(capsys, db, "--search-criteria", bad)[0] != 0
    assert search(capsys, db)["imageSetsMetadataSummaries"] == iso_timestamps(everything)


# --- a real process -----------------------------------------------------------------------------------------------


def test_as_a_real_process(db, tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("IMAGESET_SEARCH_")}
    command = [sys.executable, "-m", "imageset_search.server.cli", "search-image-sets", "--db", str(db),
               "--datastore-id", DEMO, "--search-criteria", example(1)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ids(json.loads(done.stdout)) == [DOCUMENTED]
    failed = subprocess.run(command[:-1] + ["{oops"], capture_output=True, text=True, env=environment, cwd=tmp_path,
                            timeout=120)
    assert failed.returncode == 252 and failed.stdout == "" and failed.stderr.count("\n") == 1


# --- loose values inside the criteria -----------------------------------------------------------------------------


def loose(attribute, phrase):
    return json.dumps({"filters": [{"values": [{attribute: phrase}], "operator": "EQUAL"}]})


def test_a_loose_study_date_is_made_exact_and_said_on_stderr(capsys, db):
    code, out, err = run(capsys, db, "--search-criteria", loose("DICOMStudyDateAndTime", "November 1999"))
    assert code == 0, err
    assert DOCUMENTED in ids(json.loads(out))
    assert all(s["DICOMTags"]["DICOMStudyDate"].startswith("199911") for s in json.loads(out)[
        "imageSetsMetadataSummaries"])
    assert '"November 1999"' in err and "1999-11-01" in err and PATIENT not in err


def test_a_loose_instant_reads_today_in_the_given_zone(capsys, db):
    code, out, err = run(capsys, db, "--search-criteria", loose("createdAt", "yesterday"), "--timezone", "Asia/Tokyo")
    assert code == 0, err
    assert "yesterday" in err and "Asia/Tokyo" in err


def test_resuming_a_loose_search_delivers_each_image_set_once(capsys, db):
    criteria = loose("DICOMStudyDateAndTime", "the 90s")
    every = ids(search(capsys, db, "--search-criteria", criteria))
    printed, token = [], None
    while True:
        response = search(capsys, db, "--search-criteria", criteria, "--max-items", 4, "--page-size", 3,
                          *(["--starting-token", token] if token else []))
        printed += ids(response)
        token = response.get("NextToken")
        if not token:
            break
    assert len(every) > 4 and printed == every


def test_an_unreadable_phrase_is_the_service_validation_error(capsys, db):
    code, out, err = run(capsys, db, "--search-criteria", loose("DICOMStudyDateAndTime", "blursday"))
    assert code == 254 and out == "" and err.count("\n") == 1
    assert err.startswith("An error occurred (ValidationException) when calling the SearchImageSets operation:")


def test_paging_keys_in_the_input_json_make_one_call_and_refuse_paging_options(capsys, db):
    document = json.dumps({"datastoreId": DEMO, "searchCriteria": WINDOW, "maxResults": 3})
    code, out, err = run(capsys, db, "--cli-input-json", document, "--max-items", 2, datastore=None)
    assert code == 252 and out == ""
    assert err == ("Cannot specify maxResults or nextToken in --cli-input-json along with pagination arguments: "
                   "--max-items\n")
    first = search(capsys, db, "--cli-input-json", document, datastore=None)
    resumed = search(
        capsys,
        db,
        "--cli-input-json",
        json.dumps({**json.loads(document), "nextToken": first["nextToken"]}),
        datastore=None,
    )
    assert len(ids(first)) == len(ids(resumed)) == 3 and not set(ids(first)) & set(ids(resumed))


def test_bad_options_are_refused_before_any_datastore_is_opened(capsys, tmp_path):
    fresh = tmp_path / "never-created.sqlite3"
    for bad in (
        ["--max-items", 0],
        ["--no-paginate", "--page-size", 5],
        ["--search-criteria", "{"],
        ["--starting-token", "garbage"],
    ):
        assert run(capsys, fresh, *bad)[0] == 252
    assert not fresh.exists()


KEYS = [
    "filters",
    "sort",
    "values",
    "operator",
    "DICOMPatientId",
    "DICOMStudyDateAndTime",
    "DICOMStudyDate",
    "createdAt",
    "isPrimary",
    "sortField",
    "sortOrder",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 99999999)
    | st.sampled_from(
        ["EQUAL", "BETWEEN", "ASC", "updatedAt", "19991122", "last March", "SUBJECT08701", "", "2022-12-06T21:40:59Z"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3))
def test_any_criteria_get_results_or_one_line_with_an_aws_exit_code(capsys, db, criteria):
    code, out, err = run(capsys, db, "--search-criteria", json.dumps(criteria), "--max-items", 2)
    if code == 0:
        assert "imageSetsMetadataSummaries" in json.loads(out)
    else:
        assert code in (252, 254) and out == "" and err.count("\n") == 1, err
        assert PATIENT not in err
