"""The dicomweb backend against a real Orthanc loaded with the demo's DICOM files: every tool through a real MCP
client session, and the same searches giving the same image sets (by series UID) as the local datastore built from
the same files."""

import gzip
import json
import os
import sys
from collections import Counter

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp_helpers import call, session, store_summaries
from orthanc_fixtures import PASSWORD, PASSWORD_ENV, USER, archive, demo_files, orthanc, pinned_store  # noqa: F401

from imageset_search.datastores.dicomweb.datastore import image_set_id
from imageset_search.datastores.errors import AccessDeniedException, ValidationException

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def primary(pinned_store):  # noqa: F811
    return [s for s in store_summaries(pinned_store) if s["isPrimary"]]


@pytest.fixture(scope="module")
def searches(primary):
    """Searches a person would make, with values taken from the data (it is generated)."""
    tags = Counter(s["DICOMTags"]["DICOMPatientId"] for s in primary).most_common(1)[0][0]
    one = next(s["DICOMTags"] for s in primary if s["DICOMTags"]["DICOMPatientId"] == tags)
    given, family = one["DICOMPatientName"].split()[:2]
    years = Counter(
        s["DICOMTags"].get("DICOMStudyDate", "")[:4] for s in primary if s["DICOMTags"].get("DICOMStudyDate")
    )
    year = years.most_common(1)[0][0]
    return [
        {"patient_id": one["DICOMPatientId"]},
        {"patient_name": f"{family.lower()} {given.lower()}"},
        {"modality": "CT"},
        {"modality": "MR", "study_date": year},
        {"study_date": {"from": f"{year}-01-01", "to": f"{year}-06-30"}},
        {"accession_number": one["DICOMAccessionNumber"]},
        {"study_instance_uid": one["DICOMStudyInstanceUID"]},
        {"series_instance_uid": one["DICOMSeriesInstanceUID"], "modality": one.get("DICOMSeriesModality", "OT")},
        {"patient_name": family.lower(), "body_part": one.get("DICOMSeriesBodyPart", "CHEST").lower()},
        {
            "search_criteria": {
                "filters": [
                    {
                        "values": [{"DICOMStudyDateAndTime": {"DICOMStudyDate": one["DICOMStudyDate"]}}],
                        "operator": "EQUAL",
                    }
                ]
            }
        },  # fmt: skip
    ]


def primary_only(arguments: dict) -> dict:
    """The same search, of the primary image sets only (an archive keeps no others)."""
    if "search_criteria" not in arguments:
        return dict(arguments, is_primary=True)
    criteria = arguments["search_criteria"]
    primary = {"values": [{"isPrimary": True}], "operator": "EQUAL"}
    return {"search_criteria": dict(criteria, filters=[*criteria["filters"], primary])}


async def series_uids(datastore, arguments, sizes=(50,)) -> list[str]:
    """The series UIDs of a whole walk through the search tool, with each max_items of `sizes` in turn."""
    found, token, turn = [], None, 0
    async with session(datastore) as client:
        for _ in range(200):
            size = sizes[turn % len(sizes)]
            turn += 1
            sent = {"next_token": token, "max_items": size} if token else dict(arguments, detail="full", max_items=size)
            content, text, is_error = await call(client, sent)
            assert not is_error, text
            found += [item["DICOMTags"]["DICOMSeriesInstanceUID"] for item in content["image_sets"]]
            token = content.get("next_token")
            if not token:
                return found
    raise AssertionError("the walk did not end in 200 calls")


async def test_the_same_searches_give_the_same_series_on_orthanc_and_locally(archive, pinned_store, searches):  # noqa: F811
    for arguments in searches:
        local = await series_uids(pinned_store, primary_only(arguments))
        remote = await series_uids(archive, arguments)
        assert sorted(remote) == sorted(local) and local, arguments


@pytest.mark.parametrize("sizes", [(1, 4, 9), (7,)])
async def test_walks_over_limit_and_offset_find_every_series_once(archive, primary, sizes):  # noqa: F811
    found = await series_uids(archive, {}, sizes)
    assert len(found) == len(set(found))
    assert set(found) == {s["DICOMTags"]["DICOMSeriesInstanceUID"] for s in primary}


async def test_get_image_set_and_its_metadata_come_from_the_archive(archive, pinned_store, primary):  # noqa: F811
    local = primary[0]
    series = local["DICOMTags"]["DICOMSeriesInstanceUID"]
    wanted = image_set_id(series)
    async with session(archive) as client:  # a fresh session: the id is resolved in the archive, not from a search
        content, text, is_error = await call(client, {"image_set_id": wanted}, tool="get_image_set")
        assert not is_error, text
        assert content["image_set_id"] == wanted and content["version"] == 1 and content["is_primary"] is True
        content, text, is_error = await call(client, {"image_set_id": wanted}, tool="list_image_set_versions")
        assert not is_error, text
        assert [version["version"] for version in content["versions"]] == [1]
        content, text, is_error = await call(client, {"image_set_id": wanted}, tool="get_image_set_metadata")
        assert not is_error, text
    document = json.loads(
        gzip.decompress(pinned_store.get_image_set_metadata("12345678901234567890123456789012", local["imageSetId"]))
    )
    (local_series,) = document["Study"]["Series"].values()
    remote = json.loads(gzip.decompress(archive.get_image_set_metadata(archive.datastore_id, wanted)))
    (remote_series,) = remote["Study"]["Series"].values()
    assert set(remote_series["Instances"]) == set(local_series["Instances"])
    assert content["instance_count"] == len(local_series["Instances"])  # what the tool said, read from the archive
    assert remote["Patient"]["DICOM"]["PatientID"] == document["Patient"]["DICOM"]["PatientID"]


async def test_list_datastores_shows_the_archive_and_an_unknown_id_is_not_found(archive):  # noqa: F811
    async with session(archive) as client:
        content, text, is_error = await call(client, {}, tool="list_datastores")
        assert not is_error, text
        assert [d["datastore_id"] for d in content["datastores"]] == [archive.datastore_id]
        _, text, is_error = await call(client, {"image_set_id": "0" * 32}, tool="get_image_set")
    assert is_error and "no series of this DICOMweb archive" in text


def test_a_wrong_password_is_refused_without_repeating_it(orthanc, monkeypatch):  # noqa: F811
    from imageset_search.datastores.dicomweb.auth import Auth
    from imageset_search.datastores.dicomweb.datastore import DicomwebDatastore
    from imageset_search.datastores.dicomweb.qido import QidoOptions

    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    wrong = DicomwebDatastore(
        QidoOptions(orthanc.dicomweb_url, Auth("basic", username=USER, password_env=PASSWORD_ENV))
    )
    with pytest.raises(AccessDeniedException) as refused:
        wrong.search_image_sets(wrong.datastore_id)
    assert "not-the-password" not in str(refused.value) and "HTTP 401" in str(refused.value)


def test_a_token_refuses_to_go_on_when_the_archive_order_moved(archive, orthanc):  # noqa: F811
    first = archive.search_image_sets(archive.datastore_id, None, max_results=5)
    gone = first["imageSetsMetadataSummaries"][-1]["DICOMTags"]["DICOMSeriesInstanceUID"]
    (found,) = orthanc.rest("POST", "/tools/lookup", data=gone).json()
    files = [path for path in orthanc.files if _series_of(path) == gone]
    orthanc.rest("DELETE", found["Path"])
    try:
        with pytest.raises(ValidationException, match="order changed"):
            archive.search_image_sets(archive.datastore_id, None, max_results=5, next_token=first["nextToken"])
    finally:
        orthanc.upload(files)
    with pytest.raises(ValidationException, match="another search"):
        archive.search_image_sets(archive.datastore_id, None, max_results=5, next_token=first["nextToken"],
                                  refinements={"modality": ["CT"]})  # fmt: skip


def _series_of(path) -> str:
    import pydicom

    return pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID


async def test_serve_with_the_dicomweb_backend_over_stdio(orthanc, primary, tmp_path):  # noqa: F811
    patient_name = primary[0]["DICOMTags"]["DICOMPatientName"].lower()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "imageset_search.server.cli", "serve", "--backend", "dicomweb"],
        env={
            "HOME": str(tmp_path),
            "PATH": os.environ.get("PATH", ""),
            "IMAGESET_SEARCH_DICOMWEB_URL": orthanc.dicomweb_url,
            "IMAGESET_SEARCH_DICOMWEB_AUTH": "basic",
            "IMAGESET_SEARCH_DICOMWEB_USER": USER,
            "IMAGESET_SEARCH_DICOMWEB_PASSWORD_ENV": PASSWORD_ENV,
            PASSWORD_ENV: PASSWORD,
        },
    )
    with open(tmp_path / "stderr.log", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            result = await client.call_tool("search_image_sets", {"modality": "CT", "max_items": 3})
            by_name = await client.call_tool("search_image_sets", {"patient_name": patient_name, "max_items": 3})
    assert not result.is_error, result.content
    assert result.structured_content["count"] == 3 and by_name.structured_content["count"] >= 1
    logged = (tmp_path / "stderr.log").read_text()
    assert PASSWORD not in logged and patient_name.split()[-1] not in logged.lower()


def test_the_search_command_reaches_the_archive(orthanc, primary, monkeypatch, capsys):  # noqa: F811
    from imageset_search.server.cli import main

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    code = main(["search", "--backend", "dicomweb", "--dicomweb-url", orthanc.dicomweb_url, "--dicomweb-auth", "basic",
                 "--dicomweb-user", USER, "--dicomweb-password-env", PASSWORD_ENV, "--modality", "CT",
                 "--max-items", "50", "--detail", "full"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    found = {item["DICOMTags"]["DICOMSeriesInstanceUID"] for item in json.loads(out)["image_sets"]}
    assert found == {
        s["DICOMTags"]["DICOMSeriesInstanceUID"] for s in primary if s["DICOMTags"].get("DICOMSeriesModality") == "CT"
    }
    assert main(["search", "--backend", "dicomweb", "--modality", "CT"]) != 0
    assert "needs --dicomweb-url" in capsys.readouterr().err
