"""`search-image-sets` on the aws backend: real boto3 over real HTTP to the local HealthImaging endpoint."""

import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest

from imageset_search.datastores.local.demo import build_demo
from imageset_search.datastores.testbed.endpoint import start_endpoint
from imageset_search.datastores.testbed.faults import Faults
from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.cli import main

DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
PHI = ("SUBJECT08701", "Melissa844", "19201120", "1.2.840.99999999.84710745.943275268089")
BY_PATIENT = {"filters": [{"values": [{"DICOMPatientId": "SUBJECT08701"}], "operator": "EQUAL"}]}
BY_AGE = {"filters": [{"values": [{"createdAt": "1985-04-12T23:20:50.52Z"}, {"createdAt": "2022-04-12T23:20:50.52Z"}],
                       "operator": "BETWEEN"}]}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    store = LocalStore(tmp_path_factory.mktemp("aws") / "demo.sqlite3")
    build_demo(store, image_sets=40, seed=1, today=date(2026, 6, 1))
    running = start_endpoint(store)
    yield running
    running.stop()
    store.close()


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch, tmp_path):
    """Any key pair signs for the local endpoint; nothing is read from the developer's home folder."""
    for name in list(os.environ):
        if name.startswith(("IMAGESET_SEARCH_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("IMAGESET_SEARCH_DB", str(tmp_path / "unused-local.sqlite3"))


def run(capsys, endpoint, *args):
    code = main(["search-image-sets", "--endpoint-url", endpoint.url, "--region", "us-east-1",
                 "--datastore-id", DEMO, *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_endpoint_url_implies_the_aws_backend(capsys, endpoint):
    endpoint.faults = Faults()
    code, out, err = run(capsys, endpoint, "--search-criteria", json.dumps(BY_PATIENT))
    assert code == 0, err
    assert [s["imageSetId"] for s in json.loads(out)["imageSetsMetadataSummaries"]] == [DOCUMENTED]
    assert endpoint.faults.requests >= 1  # the answer came over HTTP, not from the (empty) local file


def test_backend_local_overrides_the_implication(capsys, endpoint):
    code, out, err = run(capsys, endpoint, "--backend", "local")
    assert code == 254 and "ResourceNotFoundException" in err  # the local file has no demo datastore


def test_paging_over_http_delivers_each_image_set_once(capsys, endpoint):
    code, out, err = run(capsys, endpoint, "--page-size", 7)
    assert code == 0, err
    every = [s["imageSetId"] for s in json.loads(out)["imageSetsMetadataSummaries"]]
    printed, token, sizes = [], None, [3, 5, 2]
    while True:
        resume = ["--starting-token", token] if token else []
        args = ["--max-items", 4, "--page-size", sizes[len(printed) % 3], *resume]
        code, out, err = run(capsys, endpoint, *args)
        assert code == 0, err
        response = json.loads(out)
        printed += [s["imageSetId"] for s in response["imageSetsMetadataSummaries"]]
        token = response.get("NextToken")
        if not token:
            break
    assert printed == every and len(every) >= 40


def test_service_errors_print_as_the_aws_cli_does(capsys, endpoint):
    endpoint.faults = Faults(fail="1-", fail_kind="deny")
    try:
        code, out, err = run(capsys, endpoint, "--search-criteria", json.dumps(BY_PATIENT))
    finally:
        endpoint.faults = Faults()
    assert code == 254 and out == "" and err.count("\n") == 1
    assert err.startswith("An error occurred (AccessDeniedException) when calling the SearchImageSets operation: ")


def test_an_unreachable_endpoint_exits_255(capsys, endpoint):
    code = main(["search-image-sets", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1",
                 "--datastore-id", DEMO, "--cli-connect-timeout", "2"])
    _, err = capsys.readouterr()
    assert code == 255 and err.startswith("An error occurred (ServiceUnavailableException)") and err.count("\n") == 1


def test_debug_logs_the_steps_without_patient_data(capsys, endpoint):
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code, out, err = run(capsys, endpoint, "--search-criteria", json.dumps(BY_PATIENT), "--debug")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("imageset_search").setLevel(logging.NOTSET)
    assert code == 0
    assert "DEBUG imageset_search.server.commands.search_image_sets: SearchImageSets page" in err
    assert not [value for value in PHI if value in err]
    assert "SUBJECT08701" in out  # the result itself is what was asked for


def awscli(endpoint, tmp_path, *args) -> str:
    """The real AWS CLI (v1, ISO timestamps) against the same endpoint: the reference for what is printed."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\ncli_timestamp_format = iso8601\n")
    environment = {**os.environ, "AWS_CONFIG_FILE": str(config), "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
                   "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "awscli", "medical-imaging", "search-image-sets", "--endpoint-url", endpoint.url,
               "--region", "us-east-1", "--datastore-id", DEMO, "--color", "off", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def without_tokens(text: str) -> str:
    """Both print a NextToken where the same items remain; only the tokens' contents differ (ours never re-deliver)."""
    return re.sub(r'("NextToken": "|NEXTTOKEN\t)[A-Za-z0-9_=-]+', r"\1<token>", text)


@pytest.mark.parametrize(
    "args",
    [
        ["--search-criteria", json.dumps(BY_AGE), "--max-items", 3, "--page-size", 2],
        ["--search-criteria", json.dumps(BY_AGE), "--max-items", 3, "--page-size", 2, "--output", "text"],
        ["--search-criteria", json.dumps(BY_AGE), "--page-size", 4, "--output", "text", "--query",
         "imageSetsMetadataSummaries[].[imageSetId, version]"],
        ["--search-criteria", json.dumps(BY_AGE), "--max-items", 3, "--page-size", 2, "--output", "text", "--query",
         "imageSetsMetadataSummaries[].imageSetId"],
        ["--search-criteria", json.dumps(BY_PATIENT), "--output", "table"],
        ["--search-criteria", json.dumps(BY_AGE), "--no-paginate", "--output", "table", "--query",
         "imageSetsMetadataSummaries[].DICOMTags"],
    ],
    ids=["json", "text", "text-query", "text-query-per-page", "table", "table-no-paginate"],
)
def test_prints_what_the_aws_cli_prints(capsys, endpoint, tmp_path, args):
    endpoint.faults = Faults()
    code, out, err = run(capsys, endpoint, *args)
    assert code == 0, err
    assert without_tokens(out) == without_tokens(awscli(endpoint, tmp_path, *args))


def test_unusable_credentials_exit_253_with_how_to_get_them(capsys, endpoint):
    code, out, err = run(capsys, endpoint, "--profile", "no-such-profile")
    assert code == 253 and out == "" and err.count("\n") == 1
    assert "credentials" in err and "--profile" in err


def test_the_endpoint_can_come_from_the_environment(capsys, endpoint, monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_ENDPOINT_URL", endpoint.url)
    monkeypatch.setenv("IMAGESET_SEARCH_REGION", "us-east-1")
    code = main(["search-image-sets", "--datastore-id", DEMO, "--search-criteria", json.dumps(BY_PATIENT)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [s["imageSetId"] for s in json.loads(out)["imageSetsMetadataSummaries"]] == [DOCUMENTED]


def test_connection_options_reach_the_aws_datastore_as_it_names_them():
    from imageset_search.server.cli import build_parser
    from imageset_search.server.aws_cli.connection import aws_options

    args = build_parser().parse_args(
        ["search-image-sets", "--region", "eu-west-1", "--profile", "imaging", "--endpoint-url", "https://x.test",
         "--cli-read-timeout", "5", "--cli-connect-timeout", "0", "--no-verify-ssl", "--ca-bundle", "ca.pem"])
    assert aws_options(args) == {"region": "eu-west-1", "profile": "imaging", "endpoint_url": "https://x.test",
                                 "read_timeout": 5, "connect_timeout": None, "verify_ssl": False, "ca_bundle": "ca.pem"}


def test_the_command_starts_without_heavy_libraries():
    code = ("import sys; from imageset_search.server.cli import build_parser; "
            "build_parser().parse_args(['search-image-sets', '--max-items', '3']); "
            "print(sorted(m for m in ('boto3', 'botocore', 'pydicom', 'dateparser') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
