"""Patient data stays out of the server's log and out of every refusal, at the default level and with --debug.

The server runs as a desktop host starts it (`serve` over stdio, a real process), on the local backend and on the
AWS one (real boto3 to the local HealthImaging endpoint, which throttles some requests). The session sends real
patient IDs, names, birth dates and UIDs of the demo datastore: in good calls to every tool (whose results rightly
hold patient data), in deliberately wrong calls built around those values, and in generated calls whose strings are
drawn from them. No refusal may repeat one, and the server's stderr, grepped for every value the store holds, must
hold none, nor any traceback.
"""

import os
import sys

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import DEMO_DATASTORE_ID
from imageset_search.datastores.testbed.endpoint import start_endpoint
from imageset_search.datastores.testbed.faults import Faults
from reliability import phi
from reliability.answers import problem, text_of
from reliability.generated import Generator
from reliability.valid import every_known, required

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

GENERATED_PER_TOOL = 60


def tagged(demo_store) -> dict[str, list[str]]:
    """A few real values of each kind, from the store."""
    found: dict[str, list[str]] = {}
    for value, kind in phi.values(demo_store, DEMO_DATASTORE_ID).items():
        if len(found.setdefault(kind, [])) < 3:
            found[kind].append(value)
    return found


def equal(value: dict) -> dict:
    """AWS searchCriteria with one EQUAL filter on `value`."""
    return {"filters": [{"values": [value], "operator": "EQUAL"}]}


def wrong_calls(real: dict[str, list[str]]) -> list[tuple[str, dict]]:
    """Refusals a model could provoke with patient data in hand: each must be refused without repeating it."""
    patient, name, birth = real["patient ID"][0], real["patient name"][0], real["birth date"][0]
    study, series = real["study UID"][0], real["series UID"][0]
    return [
        ("search_image_sets", {"patient_id": patient, "patient_idd": patient}),
        ("search_image_sets", {"patient_id": patient * 60}),
        ("search_image_sets", {"study_instance_uid": study + "x"}),
        ("search_image_sets", {"series_instance_uid": series + ".abc"}),
        ("search_image_sets", {"patient_birth_date": birth + "x"}),
        ("search_image_sets", {"patient_birth_date": f"{birth} to {patient}"}),
        ("search_image_sets", {"study_date": birth[:4] + "-13-45"}),
        ("search_image_sets", {"patient_sex": name}),
        ("search_image_sets", {"modality": patient * 3}),
        ("search_image_sets", {"datastore_id": patient}),
        ("search_image_sets", {"next_token": study}),
        ("search_image_sets", {"search_criteria": equal({"DICOMPatientId": patient, "DICOMStudyId": birth})}),
        ("search_image_sets", {"search_criteria": equal({"DICOMStudyDateAndTime": {"DICOMStudyDate": birth,
                                                                                      "DICOMStudyTime": name}})}),
        ("search_image_sets", {"patient_id": patient, "search_criteria": {"filters": []}}),
        ("get_image_set", {"image_set_id": study}),
        ("get_image_set_metadata", {"image_set_id": series}),
        ("get_image_set_metadata", {"image_set_id": DEMO_DATASTORE_ID, "attributes": [name]}),
        ("list_image_set_versions", {"image_set_id": patient}),
        ("list_datastores", {"status": patient}),
    ]  # fmt: skip


async def drive(client, demo_store) -> list[str]:
    """Every kind of call; returns what is wrong with the answers (echoed patient data, bad refusals)."""
    values = phi.values(demo_store, DEMO_DATASTORE_ID)
    real = tagged(demo_store)
    wrong = []
    tools = (await client.list_tools()).tools
    calls = [(tool.name, required(tool.input_schema)) for tool in tools]
    calls += [(tool.name, every_known(tool.input_schema)) for tool in tools]
    calls += [("search_image_sets", {"patient_id": patient}) for patient in real["patient ID"]]
    calls += [("search_image_sets", {"study_instance_uid": study}) for study in real["study UID"]]
    calls += wrong_calls(real)
    texts = tuple(value for kind in real.values() for value in kind)
    for tool in tools:
        generator = Generator(tool.input_schema, seed=11, texts=texts)
        calls += [(tool.name, generator.outside()[1]) for _ in range(GENERATED_PER_TOOL)]
    for number, (name, arguments) in enumerate(calls):
        result = await client.call_tool(name, arguments)
        where = f"call {number} ({name})"  # the calls are seeded: the number finds it again; no values here
        if result.is_error and (leak := phi.leaks(text_of(result), values)):
            wrong.append(f"{where}: the refusal echoes {leak}")
        if found := problem(name, result):
            wrong.append(f"{where}: {found}")
    return wrong


async def serve_and_drive(demo_store, tmp_path, arguments: list[str], env: dict) -> tuple[list[str], str]:
    """Start `serve` over stdio with `arguments`, drive it; (what was wrong with the answers, its stderr)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "imageset_search.server.cli", "serve", *arguments],
        env={"HOME": str(tmp_path), "PATH": "", **env},
    )
    log = tmp_path / "stderr.log"
    with open(log, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            wrong = await drive(client, demo_store)
    return wrong, log.read_text()


def assert_clean(wrong: list[str], log: str, demo_store, debug: bool) -> None:
    assert ("search_image_sets called with" in log) == debug  # the level took effect
    assert wrong == [] and phi.leaks(log, phi.values(demo_store, DEMO_DATASTORE_ID)) is None
    assert "Traceback" not in log


@pytest.mark.parametrize("level", [[], ["--debug"]], ids=["default level", "debug"])
async def test_no_patient_data_in_the_log_or_the_refusals(demo_db, demo_store, tmp_path, level):
    wrong, log = await serve_and_drive(demo_store, tmp_path, ["--db", str(demo_db), *level], {})
    assert_clean(wrong, log, demo_store, debug=bool(level))


async def test_no_patient_data_in_the_debug_log_on_the_aws_backend_under_throttling(demo_store, tmp_path):
    """boto3's path, with its retries and error mapping at work: the endpoint throttles a few requests (each costs
    botocore a backoff, so a few keep the test short)."""
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    with start_endpoint(demo_store, faults=Faults(throttle=0.02, seed=2)) as endpoint:
        arguments = ["--backend", "aws", "--endpoint-url", endpoint.url, "--region", "us-east-1", "--debug"]
        wrong, log = await serve_and_drive(demo_store, tmp_path, arguments, aws)
        assert endpoint.faults.injected > 0
    assert_clean(wrong, log, demo_store, debug=True)


async def test_patient_data_sent_as_an_argument_name_is_not_echoed(demo_store):
    from mcp_helpers import session

    real = tagged(demo_store)
    name, study = real["patient name"][0], real["study UID"][0]
    async with session(demo_store) as client:
        for arguments in ({name: 1}, {"updated": {study: 1}}):
            result = await client.call_tool("search_image_sets", arguments)
            assert result.is_error and phi.leaks(text_of(result), {name: "patient name", study: "study UID"}) is None


def test_the_grep_finds_a_value_it_is_given(demo_store):
    """Guards the tests above: every kind of value the store holds is found when it is there."""
    values = phi.values(demo_store, DEMO_DATASTORE_ID)
    for kind, examples in tagged(demo_store).items():
        assert phi.leaks(f"INFO something: {examples[0]}.", values), kind
    assert set(tagged(demo_store)) == {*phi.SUMMARY_KINDS.values(), "instance UID"}
