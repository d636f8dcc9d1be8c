"""The real AWS CLI (the awscli package) against the local endpoint: the four examples of its own
`search-image-sets` page, and `--max-items` / `--starting-token` walks, answered as the project's own search answers.

The CLI runs as a subprocess with nothing but a temporary config and credentials file (a dummy profile), so it goes
through the whole standard credential chain, signs, pages and retries exactly as it would against AWS.
"""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from endpoint_fixtures import CLEARED_ENV, image_set_ids, running_endpoint, walk  # noqa: F401

DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "search-criteria"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """A process environment whose only AWS settings are a dummy default profile in temporary files. Timestamps
    print as ISO 8601, as on the CLI page (awscli v1 otherwise prints the wire's epoch seconds)."""
    import os

    folder = tmp_path_factory.mktemp("awscli")
    (folder / "config").write_text("[default]\nregion = us-east-1\noutput = json\ncli_timestamp_format = iso8601\n")
    (folder / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDLOCALTESTING\naws_secret_access_key = local-testing-secret\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in CLEARED_ENV}
    return {
        **env,
        "AWS_CONFIG_FILE": str(folder / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }


def aws_cli(cli_env, endpoint, *arguments, command="search-image-sets") -> dict:
    """`aws medical-imaging COMMAND --datastore-id DEMO ...` against the endpoint; its JSON output."""
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "medical-imaging", command, "--endpoint-url", endpoint.url,
         "--datastore-id", DEMO, "--output", "json", *arguments],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def own_search(demo_db, capsys, *arguments) -> dict:
    """The project's own `imageset-search search-image-sets` on the same data (local backend, in process)."""
    from imageset_search.server.cli import main

    capsys.readouterr()
    assert main(["search-image-sets", "--db", str(demo_db), "--datastore-id", DEMO, *arguments]) == 0
    return json.loads(capsys.readouterr().out)


def summaries_by_id(output: dict) -> dict[str, dict]:
    return {s["imageSetId"]: s for s in output["imageSetsMetadataSummaries"]}


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_cli_pages_examples_find_what_the_projects_search_finds(
    cli_env, running_endpoint, demo_db, capsys, number
):
    criteria = f"file://{EXAMPLES / f'example-{number}.json'}"
    from_cli = aws_cli(cli_env, running_endpoint, "--search-criteria", criteria)
    own = own_search(demo_db, capsys, "--search-criteria", criteria)
    assert from_cli["imageSetsMetadataSummaries"], f"example {number} found nothing"
    assert [s["imageSetId"] for s in from_cli["imageSetsMetadataSummaries"]] == [
        s["imageSetId"] for s in own["imageSetsMetadataSummaries"]
    ]
    assert summaries_by_id(from_cli) == summaries_by_id(own)
    if number == 1:
        assert list(summaries_by_id(from_cli)) == [DOCUMENTED]
    if number == 2:
        assert DOCUMENTED in summaries_by_id(from_cli)


# Neither size divides the other, so every resume token points into the middle of a service page.
@pytest.mark.parametrize("max_items, page_size", [(120, None), (150, 7)])
def test_max_items_walks_return_every_image_set_once(cli_env, running_endpoint, demo_store, max_items, page_size):
    expected = image_set_ids(walk(demo_store, DEMO, None, 50))
    sizes = ["--max-items", str(max_items), *(["--page-size", str(page_size)] if page_size else [])]
    ids, token, calls = [], None, 0
    while True:
        output = aws_cli(cli_env, running_endpoint, *sizes, *(["--starting-token", token] if token else []))
        calls += 1
        page = [s["imageSetId"] for s in output["imageSetsMetadataSummaries"]]
        assert len(page) <= max_items
        ids += page
        token = output.get("NextToken")
        if token is None:
            break
    assert ids == expected and len(set(ids)) == len(ids)
    assert calls == -(-len(expected) // max_items), "each run should print a full --max-items batch but the last"


def test_the_cli_saves_the_metadata_blob_as_the_gzip_aws_sends(cli_env, running_endpoint, demo_store, tmp_path):
    saved = tmp_path / "metadata.json.gz"
    output = aws_cli(
        cli_env, running_endpoint, "--image-set-id", DOCUMENTED, str(saved), command="get-image-set-metadata"
    )
    assert output["contentEncoding"] == "gzip"
    assert saved.read_bytes() == demo_store.get_image_set_metadata(DEMO, DOCUMENTED)
    assert json.loads(gzip.decompress(saved.read_bytes()))["ImageSetID"] == DOCUMENTED
