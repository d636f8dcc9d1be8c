"""Forged continuation tokens (issue 13, break 3): each break that was found, as a test that the old code fails.

The old tool token was tagged with a key written in the source and its decoded query was used unchecked. Here a
token forged the old way is refused; and tokens signed with the store's real secret (as if it had leaked) that say
what no fresh call may ask (a bogus detail, oversized lists, a page of 255, hundreds of criteria) are refused before
any page is read. An empty next_token is an error, not a fresh unfiltered search. The AWS backend's per-installation
secret is created private, kept, and replaced by a process secret (with a warning) where no folder is writable.
"""

import base64
import hashlib
import json
import logging
import stat
import struct

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401
from mcp_helpers import call, session

from conftest import DEMO_DATASTORE_ID
from imageset_search.tools.criteria import Criterion
from imageset_search.tools.paginator import Position
from imageset_search.tools.planner import Query
from imageset_search.tools.refine import Refinements
from imageset_search.tools.tokens import View, encode
from reliability.answers import problem

pytestmark = pytest.mark.anyio


def old_forgery(payload: dict) -> str:
    """A token laid out and tagged as the old code did, with the key that was in its source."""
    body = bytes([2]) + int(DEMO_DATASTORE_ID, 36).to_bytes(21, "big") + struct.pack(">BBI", 0, 0, 0) + b"\0"
    body += b"\0" + json.dumps(payload, separators=(",", ":")).encode()
    tag = hashlib.blake2b(body, key=b"imageset-search-mcp/next_token/v1", digest_size=8).digest()
    return base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode()


def patient(number: int) -> Criterion:
    return Criterion("DICOMPatientId", {"values": [{"DICOMPatientId": f"SUBJECT{number:05}"}], "operator": "EQUAL"})


def signed(store, query=Query(), position=Position(), view=View()) -> str:
    """A token signed with the store's own secret: what someone holding a leaked secret could send."""
    return encode(store.token_secret(), DEMO_DATASTORE_ID, query, position, view)


FORGERIES = {
    "a bogus detail": dict(view=View(detail="bogus")),
    "a page of 255 items": dict(position=Position(None, 255, 3, 0)),
    "max_items 200": dict(view=View(max_items=200)),
    "300 criteria": dict(query=Query(tuple(patient(number) for number in range(300)))),
    "the same attribute three times": dict(query=Query(tuple(patient(number) for number in range(3)))),
    "1,000 modality codes": dict(query=Query(refinements=Refinements(modality=tuple(f"M{n}" for n in range(1000))))),
    "a patient name of 5,000 characters": dict(query=Query(refinements=Refinements(patient_name="A" * 5000))),
    "BETWEEN on a patient ID": dict(query=Query((Criterion(
        "DICOMPatientId",
        {"values": [{"DICOMPatientId": "A"}, {"DICOMPatientId": "Z"}], "operator": "BETWEEN"}),))),
    "an unclean patient ID": dict(query=Query((Criterion(
        "DICOMPatientId", {"values": [{"DICOMPatientId": "  SUBJECT08701 "}], "operator": "EQUAL"}),))),
    "a study date that is no date": dict(query=Query((Criterion(
        "DICOMStudyDateAndTime", {"values": [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "20231399"}}],
                                  "operator": "EQUAL"}),))),
    "an unknown sex": dict(query=Query(refinements=Refinements(patient_sex="Q"))),
    "fields that are not fields": dict(view=View(fields=("pixel_data",))),
}  # fmt: skip


async def test_a_token_forged_with_the_old_key_in_the_source_is_refused(demo_store):
    async with session(demo_store) as client:
        for payload in ({"f": []}, {"f": [], "v": ["bogus", []]}):
            content, text, is_error = await call(client, {"next_token": old_forgery(payload)})
            assert is_error and "next_token is not valid" in text, text


@pytest.mark.parametrize("what", FORGERIES)
async def test_a_signed_token_saying_what_no_fresh_call_may_ask_is_refused(demo_store, what):
    async with session(demo_store) as client:
        result = await client.call_tool("search_image_sets", {"next_token": signed(demo_store, **FORGERIES[what])})
    assert result.is_error and problem("search_image_sets", result) is None
    assert "next_token is not valid" in result.content[0].text


async def test_a_signed_token_with_sound_content_does_continue(demo_store):
    """Guards the test above: the forger's tokens are refused for what they say, not for how they are made."""
    query = Query((patient(8701),), Refinements(modality=("CT",)))
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"next_token": signed(demo_store, query, view=View("full"))})
    assert not is_error and content["count"] >= 0 and "image_sets" in content, text


@pytest.mark.parametrize("empty", ["", "   "])
async def test_an_empty_next_token_is_an_error_not_a_fresh_search(demo_store, empty):
    async with session(demo_store) as client:
        content, text, is_error = await call(client, {"next_token": empty})
    assert is_error and "next_token is empty" in text, text


def test_the_aws_backend_creates_its_secret_privately_once_and_keeps_it(tmp_path):
    from imageset_search.datastores.aws.datastore import AwsDatastore

    where = tmp_path / "config" / "imageset-search" / "token-secret"
    first = AwsDatastore(region="us-east-1", token_secret_file=where).token_secret()
    again = AwsDatastore(region="us-east-1", token_secret_file=where).token_secret()
    assert first == again and len(first) == 32
    assert stat.S_IMODE(where.stat().st_mode) == 0o600
    assert list(where.parent.iterdir()) == [where]  # no draft left beside it


def test_without_a_writable_folder_the_secret_lasts_for_the_process_and_the_log_says_so(tmp_path, caplog):
    from imageset_search.datastores.aws.datastore import AwsDatastore

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="imageset_search.datastores.tokens"):
        secret = AwsDatastore(region="us-east-1", token_secret_file=blocked / "token-secret").token_secret()
    assert len(secret) == 32 and "will not survive a restart" in caplog.text
    assert secret == AwsDatastore(region="us-east-1").token_secret()  # one secret for the whole process



async def test_on_aws_a_token_outlives_the_server_with_the_installation_secret_only(endpoint, aws_env, tmp_path):
    """A new server with the same secret file continues the search; one whose secret is another refuses it."""
    from imageset_search.datastores.aws.datastore import AwsDatastore

    def server(secret_file):
        return AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", token_secret_file=secret_file)

    kept = tmp_path / "config" / "token-secret"
    async with session(server(kept)) as before:
        first, text, is_error = await call(before, {"study_date": "since 1990", "max_items": 3, "detail": "full"})
    assert not is_error and first["next_token"], text
    async with session(server(kept)) as restarted:
        again, text, is_error = await call(restarted, {"next_token": first["next_token"]})
    assert not is_error and again["count"] == 3, text
    assert not {s["imageSetId"] for s in first["image_sets"]} & {s["imageSetId"] for s in again["image_sets"]}
    async with session(server(tmp_path / "elsewhere" / "token-secret")) as other:
        _, text, is_error = await call(other, {"next_token": first["next_token"]})
    assert is_error and "next_token is not valid" in text, text
