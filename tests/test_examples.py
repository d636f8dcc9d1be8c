"""The desktop-host configs in examples/: valid JSON of Claude Desktop's shape, a command line the real parser takes,
an env block of real settings, and a server that starts from them and answers as the host would see it.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401 (fixtures)
from mcp import ClientSession, StdioServerParameters, stdio_client

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID
from imageset_search.server.cli import build_parser
from imageset_search.server.commands import serve
from imageset_search.server.config import ENV_PREFIX, db_path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIGS = sorted(EXAMPLES.glob("claude_desktop_config.*.json"))


def server_entry(name: str) -> dict:
    return json.loads((EXAMPLES / f"claude_desktop_config.{name}.json").read_text())["mcpServers"]["imageset-search"]


def test_there_is_a_local_and_an_aws_config():
    assert [path.name for path in CONFIGS] == ["claude_desktop_config.aws.json", "claude_desktop_config.local.json"]


@pytest.mark.parametrize("name", ["local", "aws"])
def test_config_has_claude_desktops_shape_and_the_real_parser_takes_it(name):
    entry = server_entry(name)
    assert set(entry) == {"command", "args", "env"}
    assert entry["command"] == "imageset-search"
    assert all(isinstance(value, str) for value in [*entry["args"], *entry["env"].values()])
    args = build_parser().parse_args(entry["args"])
    assert args.command == "serve" and args.run is serve.run


@pytest.mark.parametrize("name", ["local", "aws"])
def test_every_env_variable_is_a_setting_serve_reads(name, monkeypatch):
    entry = server_entry(name)
    for variable, value in entry["env"].items():
        monkeypatch.setenv(variable, value)
    args = build_parser().parse_args(entry["args"])  # env defaults are read as the parser is built
    for variable, value in entry["env"].items():
        setting = variable.removeprefix(ENV_PREFIX).lower()
        if setting == "db":  # read when the store opens, like the --db it stands for
            assert db_path(args.db) == Path(value).expanduser()
        else:
            assert getattr(args, setting) == value, variable


def test_the_aws_config_selects_the_aws_backend():
    args = build_parser().parse_args(server_entry("aws")["args"])
    assert args.backend == "aws"


# --- starting each config as the host does --------------------------------------------------------------------------


def host_command(entry: dict) -> tuple[str, list[str]]:
    """The config's command, found as a host finds it: on PATH, else beside this interpreter, else as the module."""
    found = shutil.which(entry["command"]) or shutil.which(entry["command"], path=str(Path(sys.executable).parent))
    if found:
        return found, entry["args"]
    return sys.executable, ["-m", "imageset_search.server.cli", *entry["args"]]


async def search_through(entry: dict, env: dict, errlog_path: Path, arguments: dict) -> dict:
    """One real stdio session started from the config: initialize, then a search; its structured content."""
    command, args = host_command(entry)
    params = StdioServerParameters(command=command, args=args, env=env)
    with open(errlog_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            hello = await client.initialize()
            assert hello.server_info.name == "imageset-search"
            result = await client.call_tool("search_image_sets", arguments)
    assert not result.is_error, result.content
    return result.structured_content


def found_ids(content: dict) -> list[str]:
    return [image_set["image_set_id"] for study in content["studies"] for image_set in study["image_sets"]]


@pytest.mark.anyio
async def test_the_local_config_starts_and_searches_the_store_its_env_names(demo_db, tmp_path):
    entry = server_entry("local")
    env = entry["env"] | {"IMAGESET_SEARCH_DB": str(demo_db), "HOME": str(tmp_path)}
    arguments = {"patient_id": "SUBJECT08701", "study_date": "since 1990"}
    content = await search_through(entry, env, tmp_path / "stderr.log", arguments)
    assert found_ids(content) == [DOCUMENTED_IMAGE_SET_ID]
    zone = entry["args"][entry["args"].index("--timezone") + 1]
    assert any(f"in {zone}" in line for line in content["interpreted"])  # "today" was read in the config's zone


@pytest.mark.anyio
async def test_the_aws_config_starts_and_searches_through_boto3(tmp_path, aws_env, endpoint):  # noqa: F811
    entry = server_entry("aws")
    profile = entry["env"]["IMAGESET_SEARCH_PROFILE"]
    (tmp_path / "config").write_text(f"[{'default' if profile == 'default' else 'profile ' + profile}]\n")
    (tmp_path / "credentials").write_text(f"[{profile}]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = x\n")
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")  # the credentials come from the profile instead
    env = {key: value for key, value in aws_env.items() if key not in keys} | entry["env"] | {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "IMAGESET_SEARCH_ENDPOINT_URL": endpoint.url,  # the only change: the local HealthImaging endpoint
        "IMAGESET_SEARCH_DATASTORE_ID": DEMO_DATASTORE_ID,  # and the placeholder replaced, as the user will
        "HOME": str(tmp_path),
    }
    content = await search_through(entry, env, tmp_path / "stderr.log", {"patient_id": "SUBJECT08701"})
    assert found_ids(content) == [DOCUMENTED_IMAGE_SET_ID]
