"""The demo datastore: the AWS CLI page's image set exactly, its four example searches, determinism, realism."""

import gzip
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import awscli
import pytest

from imageset_search.datastores.errors import ConflictException
from imageset_search.datastores.local.demo import (
    DEMO_DATASTORE_ID,
    DOCUMENTED_IMAGE_SET_ID,
    KINDS,
    build_demo,
    write_dicom_files,
)
from imageset_search.datastores.local.importer import read_instance
from imageset_search.datastores.local.store import LocalStore

CLI_PAGE = Path(awscli.__file__).parent / "examples" / "medical-imaging" / "search-image-sets.rst"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "search-criteria"
TODAY = date(2026, 6, 1)


def page_blocks(introducing: str) -> list:
    """The JSON literal blocks of the CLI page that follow a line starting with `introducing`, in page order."""
    blocks, lines = [], CLI_PAGE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith(introducing):
            body = []
            for following in lines[number + 1 :]:
                if following and not following[0].isspace():
                    break
                body.append(following)
            blocks.append(json.loads("\n".join(body)))
    return blocks


def example(number: int) -> dict:
    return json.loads((EXAMPLES / f"example-{number}.json").read_text())


def everything(store, datastore_id=DEMO_DATASTORE_ID, criteria=None) -> list[dict]:
    summaries, token = [], None
    while True:
        page = store.search_image_sets(datastore_id, criteria, next_token=token)
        summaries += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            return summaries


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_example_files_are_the_cli_pages_criteria():
    assert [example(n) for n in (1, 2, 3, 4)] == page_blocks("Contents of ``search-criteria.json``")


def test_the_documented_image_set_is_as_the_cli_page_shows_it(demo_store):
    shown = page_blocks("Output::")[0]["imageSetsMetadataSummaries"][0]

    [found] = demo_store.search_image_sets(DEMO_DATASTORE_ID, example(1))["imageSetsMetadataSummaries"]

    assert found["imageSetId"] == shown["imageSetId"] == DOCUMENTED_IMAGE_SET_ID
    assert found["version"] == shown["version"] == 1
    assert found["createdAt"] == instant(shown["createdAt"]) == instant("2022-12-06T21:40:59.429Z")
    assert found["updatedAt"] == instant(shown["updatedAt"])
    assert found["isPrimary"] is True
    tags = found["DICOMTags"]
    assert {key: tags.get(key) for key in shown["DICOMTags"]} == shown["DICOMTags"]
    assert set(tags) - set(shown["DICOMTags"]) == {"DICOMSeriesInstanceUID"}  # the page predates series tags
    metadata = demo_store.get_image_set_metadata(DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID)
    document = json.loads(gzip.decompress(metadata))
    [series] = document["Study"]["Series"].values()
    assert len(series["Instances"]) == 1
    assert document["Patient"]["DICOM"]["PatientName"] == "Melissa844 Huel628"


def test_example_1_finds_only_the_documented_image_set_and_its_patient_has_no_other(demo_store):
    page = demo_store.search_image_sets(DEMO_DATASTORE_ID, example(1))
    assert [s["imageSetId"] for s in page["imageSetsMetadataSummaries"]] == [DOCUMENTED_IMAGE_SET_ID]
    others = [s for s in everything(demo_store) if s["DICOMTags"].get("DICOMPatientName") == "Melissa844 Huel628"]
    assert [s["imageSetId"] for s in others] == [DOCUMENTED_IMAGE_SET_ID]


def test_example_2_finds_the_documented_image_set_among_studies_of_its_range(demo_store):
    found = everything(demo_store, criteria=example(2))

    assert DOCUMENTED_IMAGE_SET_ID in {s["imageSetId"] for s in found}
    assert all("19900101" <= s["DICOMTags"]["DICOMStudyDate"] < "20230101" for s in found)
    in_range = [s for s in everything(demo_store) if "19900101" <= s["DICOMTags"]["DICOMStudyDate"] < "20230101"]
    assert {s["imageSetId"] for s in found} == {s["imageSetId"] for s in in_range}


def test_example_3_finds_the_image_sets_created_in_its_range_newest_update_first(demo_store):
    low, high = instant("1985-04-12T23:20:50.52Z"), instant("2022-04-12T23:20:50.52Z")

    found = everything(demo_store, criteria=example(3))

    assert len(found) >= 1
    assert [s["imageSetId"] for s in found] == [
        s["imageSetId"] for s in everything(demo_store) if low <= s["createdAt"] <= high
    ]  # the same order as the whole listing: updatedAt DESC
    updated = [s["updatedAt"] for s in found]
    assert updated == sorted(updated, reverse=True)


def test_example_4_finds_its_series_updated_in_its_hour_oldest_first(demo_store):
    low, high = instant("2024-03-11T15:00:05.074000-07:00"), instant("2024-03-11T16:00:05.074000-07:00")

    page = demo_store.search_image_sets(DEMO_DATASTORE_ID, example(4))
    found = page["imageSetsMetadataSummaries"]

    assert len(found) >= 1 and page["sort"] == {"sortField": "updatedAt", "sortOrder": "ASC"}
    assert all(low <= s["updatedAt"] <= high for s in found)
    assert {s["DICOMTags"]["DICOMSeriesInstanceUID"] for s in found} == {"1.2.840.99999999.84710745.943275268089"}
    assert [s["updatedAt"] for s in found] == sorted(s["updatedAt"] for s in found)
    assert found[0]["DICOMTags"]["DICOMPatientId"] != "SUBJECT08701"
    assert found[0]["version"] == 2  # imported earlier, re-imported at 2024-03-11T15:30:00-07:00


def test_the_demo_is_realistic(demo_store):
    summaries = everything(demo_store)
    tags = [s["DICOMTags"] for s in summaries]
    now = datetime.now(UTC)
    pairs = {(kind.modality, kind.body_part) for kind in KINDS}

    assert len(summaries) == 200
    assert any(s["version"] > 1 for s in summaries)
    assert any(not s["isPrimary"] for s in summaries)
    assert all(re.fullmatch(r"[A-Z][a-z]+\d+ [A-Z][a-z]+\d+", t["DICOMPatientName"]) for t in tags)
    assert all(t["DICOMPatientSex"] in {"F", "M"} and re.fullmatch(r"\d{8}", t["DICOMPatientBirthDate"]) for t in tags)
    assert all("19950101" <= t["DICOMStudyDate"] <= now.strftime("%Y%m%d") for t in tags)
    randoms = [t for t in tags if t["DICOMPatientId"] != "SUBJECT08701"]
    assert all((t["DICOMSeriesModality"], t["DICOMSeriesBodyPart"]) in pairs for t in randoms)
    assert all(t["DICOMAccessionNumber"] and t["DICOMStudyDescription"] for t in randoms)
    assert len({(t["DICOMSeriesModality"], t["DICOMSeriesBodyPart"]) for t in randoms}) >= 8
    assert all(1 <= t["DICOMNumberOfStudyRelatedSeries"] <= 6 for t in tags)  # conflicts are not primary: not counted
    assert all(datetime(2020, 1, 1, tzinfo=UTC) <= s["createdAt"] <= s["updatedAt"] <= now for s in summaries)
    assert len({t["DICOMPatientId"] for t in tags}) > 20
    datastore = demo_store.get_datastore(DEMO_DATASTORE_ID)["datastoreProperties"]
    assert datastore["datastoreName"] == "demo"


def test_conflicts_and_reimports_are_filed_as_healthimaging_files_them(demo_store):
    summaries = everything(demo_store)
    by_series = {}
    for summary in summaries:
        by_series.setdefault(summary["DICOMTags"]["DICOMSeriesInstanceUID"], []).append(summary)
    conflicted = [sets for sets in by_series.values() if any(not s["isPrimary"] for s in sets)]
    assert conflicted
    for sets in conflicted:  # one primary set, and the conflicting instance apart under its own accession number
        [primary] = [s for s in sets if s["isPrimary"]]
        assert all(s["DICOMTags"]["DICOMAccessionNumber"] != primary["DICOMTags"]["DICOMAccessionNumber"]
                   for s in sets if s is not primary)  # fmt: skip
    reimported = next(s for s in summaries if s["version"] > 1)
    versions = demo_store.list_image_set_versions(DEMO_DATASTORE_ID, reimported["imageSetId"])
    listed = versions["imageSetPropertiesList"]
    assert [v["versionId"] for v in listed] == ["2", "1"]
    assert listed[0]["updatedAt"] >= listed[1]["updatedAt"] == reimported["createdAt"]


def test_demo_metadata_has_each_attribute_at_its_level(demo_store):
    summary = next(s for s in everything(demo_store) if s["DICOMTags"].get("DICOMSeriesModality") == "MR")
    metadata = demo_store.get_image_set_metadata(DEMO_DATASTORE_ID, summary["imageSetId"])
    document = json.loads(gzip.decompress(metadata))

    assert set(document["Patient"]["DICOM"]) == {"PatientName", "PatientID", "PatientBirthDate", "PatientSex"}
    study = document["Study"]["DICOM"]
    study_keywords = {"StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID", "StudyDescription"}
    assert study_keywords <= set(study)
    [series] = document["Study"]["Series"].values()
    assert series["DICOM"]["Modality"] == "MR" and series["DICOM"]["BodyPartExamined"] in {"BRAIN", "KNEE", "LSPINE"}
    for instance in series["Instances"].values():
        assert instance["DICOM"]["SOPClassUID"] == "1.2.840.10008.5.1.4.1.1.4"
        assert instance["StoredTransferSyntaxUID"] == "1.2.840.10008.1.2.1"
        assert instance["DICOMVRs"]["Rows"] == "US" and "PixelData" not in instance["DICOM"]


def test_same_seed_same_demo_and_another_seed_another(tmp_path):
    def build(name, seed):
        with LocalStore(tmp_path / f"{name}.sqlite3") as store:
            build_demo(store, image_sets=20, seed=seed, today=TODAY)
            return everything(store)

    first, again, other = build("first", 5), build("again", 5), build("other", 6)

    assert first == again and len(first) == 20
    assert {s["imageSetId"] for s in first} & {s["imageSetId"] for s in other} == {DOCUMENTED_IMAGE_SET_ID}


def test_rebuilding_replaces_the_demo_datastore(tmp_path):
    with LocalStore(tmp_path / "store.sqlite3") as store:
        kept = store.create_datastore("mine")
        build_demo(store, image_sets=10, seed=1, today=TODAY)
        build_demo(store, image_sets=8, seed=2, today=TODAY)

        assert len(everything(store)) == 8
        assert {d["datastoreId"] for d in store.list_datastores()["datastoreSummaries"]} == {kept, DEMO_DATASTORE_ID}


def test_a_users_datastore_named_demo_is_never_replaced(tmp_path):
    with LocalStore(tmp_path / "store.sqlite3") as store:
        mine = store.create_datastore("demo")
        with pytest.raises(ConflictException, match="named 'demo' that is not the demo .*--db"):
            build_demo(store, image_sets=3, seed=0, today=TODAY)
        assert [d["datastoreId"] for d in store.list_datastores()["datastoreSummaries"]] == [mine]


@pytest.mark.parametrize("image_sets", [1, 2, 3])
def test_a_tiny_demo_still_holds_the_example_image_sets(tmp_path, image_sets):
    with LocalStore(tmp_path / "store.sqlite3") as store:
        build_demo(store, image_sets=image_sets, seed=0, today=TODAY)
        assert len(everything(store)) == max(image_sets, 2)
        assert len(store.search_image_sets(DEMO_DATASTORE_ID, example(4))["imageSetsMetadataSummaries"]) == 1


def test_write_dicom_files_writes_that_many_readable_files_reproducibly(tmp_path):
    files = write_dicom_files(tmp_path / "a", 25, seed=9)
    same = write_dicom_files(tmp_path / "b", 25, seed=9)
    other = write_dicom_files(tmp_path / "c", 25, seed=10)

    uids = [read_instance(path).sop_instance_uid for path in files]
    assert len(files) == len(set(uids)) == 25 and all(path.is_relative_to(tmp_path / "a") for path in files)
    assert uids == [read_instance(path).sop_instance_uid for path in same]
    assert not set(uids) & {read_instance(path).sop_instance_uid for path in other}
