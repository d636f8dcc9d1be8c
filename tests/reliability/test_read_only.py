"""Read-only, proven: no MCP tool or resource and no endpoint route changes a byte of the datastore.

Each test works on its own copy of the demo datastore. It records the file's bytes and every table's rows, then
calls everything there is: each tool the server lists (with valid arguments, then with a few hundred generated
ones), each resource and resource template, each prompt, each route of the local HealthImaging endpoint through real
boto3, and every writing operation of botocore's HealthImaging model as a raw signed-looking request. Afterwards,
bytes and rows are the same.
"""

import hashlib
import sqlite3
import urllib.error
import urllib.request

import pytest
from endpoint_fixtures import aws_env  # noqa: F401
from mcp_helpers import session

from imageset_search.datastores.testbed.endpoint import ROUTES, start_endpoint
from imageset_search.datastores.local.store import LocalStore
from reliability.generated import Generator
from reliability.valid import VALID, every_known, required

pytestmark = pytest.mark.anyio

GENERATED_PER_TOOL = 200
READ_PREFIXES = ("Get", "List", "Search")
FAKE_SIGNATURE = {  # well-formed SigV4 with a made-up secret: the endpoint checks the shape only
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/medical-imaging/aws4_request, "
    "SignedHeaders=host, Signature=" + "00" * 32,
    "X-Amz-Date": "20260101T000000Z",
    "Content-Type": "application/json",
}
PATH_VALUES = {"datastoreId": VALID["datastore_id"], "imageSetId": VALID["image_set_id"],
               "sourceImageSetId": VALID["image_set_id"], "jobId": "0" * 32, "resourceArn": "arn"}  # fmt: skip

STUDY = "/datastore/" + VALID["datastore_id"] + "/studies"
QIDO_PATHS = {"SearchDICOMStudies": STUDY, "SearchDICOMSeries": STUDY + "/1.2/series",
              "SearchDICOMInstances": STUDY + "/1.2/series/1.2.3/instances"}  # fmt: skip


def fingerprint(path) -> tuple[str, dict[str, str]]:
    """(digest of the file's bytes, table -> digest of its rows in key order), read with no writer open."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [  # a virtual table (the FTS5 index) is read through its shadow tables, which are listed too
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        rows = {table: _digest(connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2")) for table in tables}
    connection.close()
    return hashlib.sha256(path.read_bytes()).hexdigest(), rows


def _digest(rows) -> str:
    return hashlib.sha256(repr(rows.fetchall()).encode()).hexdigest()


@pytest.fixture
def copy(demo_db, tmp_path):
    """A private copy of the demo datastore, checkpointed and closed, so its bytes are its whole state."""
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(target) as destination:
        source.backup(destination)
    source.close()
    destination.close()
    LocalStore(target).close()  # the store's own first open (WAL mode) is part of the state compared
    return target


async def test_no_tool_resource_or_prompt_writes(copy):
    before = fingerprint(copy)
    calls = 0
    with LocalStore(copy) as store:
        async with session(store) as client:
            tools = (await client.list_tools()).tools
            for tool in tools:
                assert tool.annotations.read_only_hint and not tool.annotations.destructive_hint, tool.name
                for arguments in (required(tool.input_schema), every_known(tool.input_schema)):
                    result = await client.call_tool(tool.name, arguments)
                    assert not result.is_error, (tool.name, result.content[0].text)
                generator = Generator(tool.input_schema, seed=len(tool.name))
                for _ in range(GENERATED_PER_TOOL):
                    await client.call_tool(tool.name, generator.outside()[1])
                calls += 2 + GENERATED_PER_TOOL
            for resource in (await client.list_resources()).resources:
                await client.read_resource(resource.uri)
                calls += 1
            for template in (await client.list_resource_templates()).resource_templates:
                await client.read_resource(template.uri_template.format(**VALID))
                calls += 1
            for prompt in (await client.list_prompts()).prompts:
                needed = {arg.name: str(VALID[arg.name]) for arg in prompt.arguments if arg.required}
                await client.get_prompt(prompt.name, needed)
                calls += 1
    assert calls >= 5 * (2 + GENERATED_PER_TOOL) + 2 + 3  # the five tools, two resources and three prompts
    assert fingerprint(copy) == before


def boto3_call(client, route):
    """The route's operation through real boto3, with the required members the route's path needs."""
    from botocore import xform_name

    shape = client.meta.service_model.operation_model(route.operation).input_shape
    params = {name: PATH_VALUES[name] for name in (shape.required_members if shape else [])}
    return getattr(client, xform_name(route.operation))(**params)


def raw_status(url: str, method: str) -> int:
    request = urllib.request.Request(url, data=b"{}", method=method, headers=FAKE_SIGNATURE)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_no_endpoint_route_writes_and_every_writing_operation_is_unknown(copy, aws_env):
    import boto3
    from botocore.config import Config

    before = fingerprint(copy)
    with LocalStore(copy) as store, start_endpoint(store) as endpoint:
        client = boto3.client("medical-imaging", endpoint_url=endpoint.url, config=Config(inject_host_prefix=False))
        model = client.meta.service_model
        for route in ROUTES:
            assert route.operation.startswith(READ_PREFIXES), f"{route.operation} is not a read operation"
            if route.operation in model.operation_names:
                boto3_call(client, route)
            else:  # a DICOMweb QIDO-RS route: not in the SDK, a signed GET
                assert raw_status(endpoint.url + QIDO_PATHS[route.operation], "GET") == 200, route.operation
        writes = [name for name in model.operation_names if not name.startswith(READ_PREFIXES)]
        for name in writes:
            http = model.operation_model(name).http
            path = http["requestUri"].split("?")[0].format(**PATH_VALUES)
            assert raw_status(endpoint.url + path, http["method"]) == 404, name
    assert len(ROUTES) == 6 + len(QIDO_PATHS) and len(writes) >= 8
    assert fingerprint(copy) == before


def test_the_fingerprint_sees_a_write(copy):
    """Guards the tests above: one new datastore, nothing else, must change what they compare."""
    before = fingerprint(copy)
    with LocalStore(copy) as store:
        store.create_datastore("written")
    assert fingerprint(copy)[1] != before[1]
