"""The local store's datastores, grouping into image sets, versions, metadata documents, atomicity and threads."""

import gzip
import json
import re
import shutil
import sqlite3
import stat
import sys
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from local_instances import make_instance

from imageset_search.datastores.errors import (
    ConflictException,
    DatastoreError,
    ResourceNotFoundException,
    ValidationException,
)
from imageset_search.datastores.local.schema import INDEXES, SCHEMA_VERSION, statements
from imageset_search.datastores.local.store import LocalStore

T0 = datetime(2024, 3, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)
SCHEMA_3_STORE = Path(__file__).parent / "data" / "stores" / "schema-v3.sqlite3"  # built by the schema-3 code
MODEL = botocore.session.get_session().get_service_model("medical-imaging")


@pytest.fixture
def store(tmp_path):
    with LocalStore(tmp_path / "deep" / "folder" / "store.sqlite3") as opened:
        yield opened


@pytest.fixture
def ds(store):
    return store.create_datastore("store-tests", now=T0)


def assert_boto3_shape(operation: str, response: dict) -> None:
    """The response fits botocore's output shape exactly: no unknown keys, right types, required keys present."""
    report = ParamValidator().validate(response, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def summaries(store, ds, criteria=None):
    return store.search_image_sets(ds, criteria)["imageSetsMetadataSummaries"]


def by_series(store, ds, series):
    criteria = {"filters": [{"values": [{"DICOMSeriesInstanceUID": series}], "operator": "EQUAL"}]}
    return summaries(store, ds, criteria)


def metadata(store, ds, image_set_id, version=None):
    return json.loads(gzip.decompress(store.get_image_set_metadata(ds, image_set_id, version)))


# -- datastores ------------------------------------------------------------------------------------------------------


def test_create_list_get_and_resolve_datastores(store):
    first = store.create_datastore("first", now=T0)
    given = "abcdefghijklmnopqrstuvwxyz012345"
    assert store.create_datastore("second", datastore_id=given, now=T0) == given
    assert re.fullmatch(r"[0-9a-z]{32}", first)
    assert store.resolve_datastore("first") == first
    assert store.resolve_datastore(given) == given
    properties = store.get_datastore(given)
    assert_boto3_shape("GetDatastore", properties)
    assert properties["datastoreProperties"] == {
        "datastoreId": given,
        "datastoreName": "second",
        "datastoreStatus": "ACTIVE",
        "datastoreArn": f"arn:aws:medical-imaging:local:000000000000:datastore/{given}",
        "createdAt": T0,
        "updatedAt": T0,
    }
    listed = store.list_datastores()
    assert_boto3_shape("ListDatastores", listed)
    assert [d["datastoreId"] for d in listed["datastoreSummaries"]] == [first, given]


def test_list_datastores_pages_and_filters_by_status(store):
    made = [store.create_datastore(f"ds-{n}") for n in range(3)]
    page = store.list_datastores(max_results=2)
    rest = store.list_datastores(max_results=2, next_token=page["nextToken"])
    assert [d["datastoreId"] for d in page["datastoreSummaries"] + rest["datastoreSummaries"]] == made
    assert "nextToken" not in rest
    assert len(store.list_datastores("ACTIVE")["datastoreSummaries"]) == 3
    assert store.list_datastores("DELETED") == {"datastoreSummaries": []}
    with pytest.raises(ValidationException, match="different search criteria"):
        store.list_datastores("ACTIVE", next_token=page["nextToken"])
    with pytest.raises(ValidationException, match=r"datastoreStatus.*ACTIVE"):
        store.list_datastores("RUNNING")
    with pytest.raises(ValidationException, match="between 1 and 50"):
        store.list_datastores(max_results=100)


def test_duplicate_ids_and_names_conflict_and_bad_ones_are_refused(store):
    taken = store.create_datastore("taken")
    with pytest.raises(ConflictException, match=taken):
        store.create_datastore("fresh", datastore_id=taken)
    with pytest.raises(ConflictException, match="name 'taken'"):
        store.create_datastore("taken")
    with pytest.raises(ValidationException, match=r"\[0-9a-z\]\{32\}"):
        store.create_datastore("other", datastore_id="UPPER" * 6 + "XY")
    with pytest.raises(ValidationException, match="datastoreName"):
        store.create_datastore("has space")
    assert len(store.list_datastores()["datastoreSummaries"]) == 1


def test_resolving_an_unknown_datastore_lists_the_known_ones_and_how_to_make_one(store):
    with pytest.raises(ResourceNotFoundException) as empty:
        store.resolve_datastore("missing")
    assert "no datastores yet" in empty.value.message and "imageset-search demo-data" in empty.value.message
    known = store.create_datastore("known")
    with pytest.raises(ResourceNotFoundException) as caught:
        store.resolve_datastore("missing")
    message = caught.value.message
    assert "'missing'" in message and f"{known} (known)" in message
    assert "imageset-search import PATH --datastore NAME" in message
    assert store.resolve_datastore() == known
    store.create_datastore("another")
    with pytest.raises(ValidationException, match="several datastores"):
        store.resolve_datastore()


def test_delete_datastore_removes_it_and_only_it(store, ds):
    keep = store.create_datastore("keep")
    store.add_instances(ds, [make_instance(series="1.1")])
    store.add_instances(keep, [make_instance(series="1.1")])
    store.delete_datastore(ds)
    with pytest.raises(ResourceNotFoundException):
        store.get_datastore(ds)
    store.delete_datastore(ds, missing_ok=True)
    with pytest.raises(ResourceNotFoundException):
        store.delete_datastore(ds)
    assert len(summaries(store, keep)) == 1


# -- grouping --------------------------------------------------------------------------------------------------------


def test_a_series_is_one_primary_image_set_and_conflicting_instances_go_to_non_primary_ones(store, ds):
    result = store.add_instances(
        ds,
        [
            make_instance(series="1.1", patient="P1"),
            make_instance(series="1.1", patient="P1"),
            make_instance(series="1.1", patient="P2"),  # conflicts with the primary set: its own non-primary set
            make_instance(series="1.1", patient="P2"),  # same key as that non-primary set: joins it
            make_instance(series="1.1", patient="P1", accession="OTHER"),  # another key: another non-primary set
            make_instance(series="1.2", patient="P1"),
        ],
        now=T0,
    )
    assert (result.instances_added, result.image_sets_created, result.image_sets_updated) == (6, 4, 0)
    sets = by_series(store, ds, "1.1")
    primary = [s for s in sets if s["isPrimary"]]
    assert len(primary) == 1 and primary[0]["DICOMTags"]["DICOMPatientId"] == "P1"
    non_primary = {
        (s["DICOMTags"]["DICOMPatientId"], s["DICOMTags"]["DICOMAccessionNumber"]) for s in sets if not s["isPrimary"]
    }
    assert non_primary == {("P2", "ACC-1"), ("P1", "OTHER")}
    later = store.add_instances(
        ds, [make_instance(series="1.1", patient="P2"), make_instance(series="1.1", patient="P1")]
    )
    assert (later.image_sets_created, later.image_sets_updated) == (0, 2)
    assert len(by_series(store, ds, "1.1")) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"study_date": "20230116"},
        {"accession": "ACC-2"},
        {"patient": "P9"},
        {"study": "1.2.4"},
        {"study_id": "S2"},
        {"series_number": 2},
    ],
)
def test_each_grouping_attribute_decides_membership(store, ds, change):
    store.add_instances(ds, [make_instance(series="1.1")])
    store.add_instances(ds, [make_instance(series="1.1", **change)])
    assert sorted(s["isPrimary"] for s in by_series(store, ds, "1.1")) == [False, True]


def test_other_tags_do_not_split_a_series_and_the_summary_keeps_the_first_value(store, ds):
    store.add_instances(
        ds,
        [
            make_instance(series="1.1", DICOMSeriesModality="CT", DICOMPatientName=None),
            make_instance(series="1.1", DICOMSeriesModality="MR", DICOMPatientName="DOE^JANE"),
        ],
    )
    (only,) = by_series(store, ds, "1.1")
    assert only["DICOMTags"]["DICOMSeriesModality"] == "CT"
    assert only["DICOMTags"]["DICOMPatientName"] == "DOE^JANE"


def test_versions_bump_once_per_call_and_duplicates_add_nothing(store, ds):
    first = store.add_instances(
        ds, [make_instance(series="1.1", sop="1.1.1"), make_instance(series="1.1", sop="1.1.2")], now=T0
    )
    assert (first.instances_added, first.image_sets_created, first.instances_duplicate) == (2, 1, 0)
    second = store.add_instances(
        ds,
        [make_instance(series="1.1", sop=f"1.1.{n}") for n in (2, 3, 4, 4)],
        now=T0 + timedelta(hours=1),
    )
    assert (second.instances_added, second.instances_duplicate, second.image_sets_updated) == (2, 2, 1)
    assert second.instances_duplicate == 2
    again = store.add_instances(ds, [make_instance(series="1.1", sop="1.1.1")], now=T0 + timedelta(hours=2))
    assert (again.instances_added, again.instances_duplicate, again.image_sets_updated, again.image_set_ids) == (
        0,
        1,
        0,
        (),
    )
    (summary,) = summaries(store, ds)
    assert summary["version"] == 2
    assert summary["createdAt"] == T0 and summary["updatedAt"] == T0 + timedelta(hours=1)


def test_study_counts_cover_the_primary_sets_of_the_study_and_follow_later_series(store, ds):
    store.add_instances(ds, [make_instance(series="1.1") for _ in range(3)])
    store.add_instances(ds, [make_instance(series="1.2") for _ in range(2)])
    store.add_instances(ds, [make_instance(series="1.2", patient="CONFLICT") for _ in range(4)])
    store.add_instances(ds, [make_instance(series="2.1", study="2.0")])
    counts = {
        (s["DICOMTags"]["DICOMSeriesInstanceUID"], s["isPrimary"]): (
            s["DICOMTags"]["DICOMNumberOfStudyRelatedSeries"],
            s["DICOMTags"]["DICOMNumberOfStudyRelatedInstances"],
        )
        for s in summaries(store, ds)
    }
    assert counts == {("1.1", True): (2, 5), ("1.2", True): (2, 5), ("1.2", False): (2, 5), ("2.1", True): (1, 1)}


def test_summaries_leave_out_empty_tags_and_match_the_boto3_shape(store, ds):
    store.add_instances(
        ds, [make_instance(series="1.1", accession=None, study_id="", DICOMPatientSex="F", DICOMStudyDescription="")]
    )
    response = store.search_image_sets(ds)
    assert_boto3_shape("SearchImageSets", response)
    (summary,) = response["imageSetsMetadataSummaries"]
    assert set(summary) == {"imageSetId", "version", "createdAt", "updatedAt", "storageTier", "isPrimary", "DICOMTags"}
    assert summary["storageTier"] == "FREQUENT_ACCESS"
    tags = summary["DICOMTags"]
    assert "DICOMAccessionNumber" not in tags and "DICOMStudyId" not in tags and "DICOMStudyDescription" not in tags
    assert tags["DICOMPatientSex"] == "F" and tags["DICOMSeriesNumber"] == 1


def test_timestamps_are_now_at_millisecond_precision(store, ds):
    store.add_instances(ds, [make_instance(series="1.1")], now=datetime(2024, 1, 2, 3, 4, 5, 678999))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    store.add_instances(ds, [make_instance(series="1.2")])
    created = {s["DICOMTags"]["DICOMSeriesInstanceUID"]: s["createdAt"] for s in summaries(store, ds)}
    assert created["1.1"] == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    assert created["1.2"].tzinfo == timezone.utc and created["1.2"] >= before and created["1.2"].microsecond % 1000 == 0


def test_now_must_be_a_datetime(store, ds):
    with pytest.raises(ValueError, match="now must be a datetime"):
        store.add_instances(ds, [make_instance()], now="2024-01-01")
    with pytest.raises(ValueError, match="now must be a datetime"):
        store.create_datastore("dated", now=1700000000)


def test_given_id_maker_names_new_image_sets_and_bad_ids_are_refused(store, ds):
    result = store.add_instances(ds, [make_instance(series="1.1")], new_id=lambda: "f" * 32)
    assert result.image_set_ids == ("f" * 32,)
    with pytest.raises(ValueError, match=r"32 characters from \[0-9a-z\]"):
        store.add_instances(ds, [make_instance(series="1.2")], new_id=lambda: "NOT-AN-ID")
    assert len(summaries(store, ds)) == 1


def test_an_id_maker_that_repeats_an_id_is_a_conflict_and_stores_nothing(store, ds):
    store.add_instances(ds, [make_instance(series="1.1")], new_id=lambda: "e" * 32)
    with pytest.raises(ConflictException, match="e{32} is already taken"):
        store.add_instances(ds, [make_instance(series="1.2"), make_instance(series="1.3")], new_id=lambda: "e" * 32)
    assert len(summaries(store, ds)) == 1


# -- bad input and atomicity -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"sop": "x"}, "not a records.Instance"),
        (replace(make_instance(), sop_instance_uid=""), "no sop_instance_uid"),
        (make_instance(DICOMModality="CT"), "DICOMModality"),
        (make_instance(series_number="1"), "DICOMSeriesNumber"),
    ],
)
def test_bad_instances_are_refused_with_a_clear_error_and_store_nothing(store, ds, bad, message):
    with pytest.raises(ValueError, match=message) as caught:
        store.add_instances(ds, [make_instance(series="1.1", patient="SECRETPHI"), bad])
    assert "SECRETPHI" not in str(caught.value) and "instance 2 of the batch" in str(caught.value)
    assert summaries(store, ds) == []


def test_a_failure_mid_call_leaves_nothing(store, ds):
    store.add_instances(ds, [make_instance(series="1.1", sop="1.1.1")], now=T0)
    made = iter(["a" * 32])

    def runs_out() -> str:
        return next(made)  # the second new image set fails after the first was written

    with pytest.raises(StopIteration):
        store.add_instances(
            ds,
            [make_instance(series="1.1", sop="1.1.2"), make_instance(series="1.2"), make_instance(series="1.3")],
            now=T0 + timedelta(hours=1),
            new_id=runs_out,
        )
    (only,) = summaries(store, ds)
    assert only["version"] == 1 and only["updatedAt"] == T0
    assert len(metadata(store, ds, only["imageSetId"])["Study"]["Series"]["1.1"]["Instances"]) == 1
    assert store.list_image_set_versions(ds, only["imageSetId"])["imageSetPropertiesList"][0]["versionId"] == "1"


def test_a_value_that_is_not_json_fails_the_whole_call(store, ds):
    broken = make_instance(series="1.2")
    broken.instance["Blob"] = object()
    with pytest.raises(ValueError, match="not JSON"):
        store.add_instances(ds, [make_instance(series="1.1"), broken])
    assert summaries(store, ds) == []


# -- versions and metadata -------------------------------------------------------------------------------------------


def test_every_version_keeps_its_metadata_document(store, ds):
    first = store.add_instances(
        ds, [make_instance(series="1.1", sop="1.1.1", DICOMPatientName=None)], now=T0
    ).image_set_ids[0]
    store.add_instances(
        ds, [make_instance(series="1.1", sop="1.1.2", DICOMPatientName="DOE^JO")], now=T0 + timedelta(days=1)
    )
    v1, latest = metadata(store, ds, first, "1"), metadata(store, ds, first)
    assert metadata(store, ds, first, "2") == latest
    assert latest["SchemaVersion"] == "1.1" and latest["DatastoreID"] == ds and latest["ImageSetID"] == first
    assert v1["Patient"]["DICOM"] == {"PatientID": "PAT-1", "PatientName": None}
    assert latest["Patient"]["DICOM"] == {"PatientID": "PAT-1", "PatientName": "DOE^JO"}
    assert latest["Study"]["DICOM"]["StudyInstanceUID"] == "1.2.3"
    series = latest["Study"]["Series"]["1.1"]
    assert series["DICOM"] == {"SeriesInstanceUID": "1.1", "SeriesNumber": 1}
    assert list(v1["Study"]["Series"]["1.1"]["Instances"]) == ["1.1.1"]
    assert series["Instances"]["1.1.2"] == {
        "DICOM": {"SOPInstanceUID": "1.1.2", "InstanceNumber": 1},
        "DICOMVRs": {"SOPInstanceUID": "UI", "InstanceNumber": "IS"},
        "StoredTransferSyntaxUID": "1.2.840.10008.1.2.1",
        "ImageFrames": [],
    }


def test_get_image_set_and_its_versions(store, ds):
    image_set_id = store.add_instances(ds, [make_instance(series="1.1")], now=T0).image_set_ids[0]
    for hours in (1, 2):
        store.add_instances(ds, [make_instance(series="1.1")], now=T0 + timedelta(hours=hours))
    latest = store.get_image_set(ds, image_set_id)
    assert_boto3_shape("GetImageSet", latest)
    assert latest["versionId"] == "3" and latest["updatedAt"] == T0 + timedelta(hours=2)
    assert latest["imageSetArn"] == f"arn:aws:medical-imaging:local:000000000000:datastore/{ds}/imageset/{image_set_id}"
    assert re.fullmatch(MODEL.shape_for("Arn").metadata["pattern"], latest["imageSetArn"])
    first = store.get_image_set(ds, image_set_id, "1")
    assert (first["versionId"], first["updatedAt"], first["createdAt"]) == ("1", T0, T0)
    page = store.list_image_set_versions(ds, image_set_id, max_results=2)
    assert_boto3_shape("ListImageSetVersions", page)
    rest = store.list_image_set_versions(ds, image_set_id, max_results=2, next_token=page["nextToken"])
    listed = page["imageSetPropertiesList"] + rest["imageSetPropertiesList"]
    assert [v["versionId"] for v in listed] == ["3", "2", "1"] and "nextToken" not in rest


@pytest.mark.parametrize(
    "call",
    [
        lambda store, ds, i: store.get_image_set(ds, i, "9"),
        lambda store, ds, i: store.get_image_set_metadata(ds, i, "9"),
        lambda store, ds, i: store.get_image_set(ds, "0" * 32),
        lambda store, ds, i: store.list_image_set_versions(ds, "0" * 32),
        lambda store, ds, i: store.get_image_set("1" * 32, i),
    ],
)
def test_unknown_image_sets_and_versions_are_not_found(store, ds, call):
    image_set_id = store.add_instances(ds, [make_instance()]).image_set_ids[0]
    with pytest.raises(ResourceNotFoundException):
        call(store, ds, image_set_id)


@pytest.mark.parametrize(
    "call, path",
    [
        (lambda store, ds, i: store.get_image_set(ds, i, "v1"), "versionId"),
        (lambda store, ds, i: store.get_image_set(ds, i, 1), "versionId"),
        (lambda store, ds, i: store.get_image_set(ds, "short"), "imageSetId"),
        (lambda store, ds, i: store.get_image_set_metadata("bad", i), "datastoreId"),
        (lambda store, ds, i: store.list_image_set_versions(ds, i, max_results=0), "maxResults"),
        (lambda store, ds, i: store.list_image_set_versions(ds, i, next_token="garbage"), "nextToken"),
    ],
)
def test_malformed_ids_versions_and_limits_are_validation_errors(store, ds, call, path):
    image_set_id = store.add_instances(ds, [make_instance()]).image_set_ids[0]
    with pytest.raises(ValidationException, match=f"'{path}'"):
        call(store, ds, image_set_id)


# -- the file --------------------------------------------------------------------------------------------------------


def test_the_file_reopens_with_its_data_and_refuses_an_unknown_schema(tmp_path):
    path = tmp_path / "file.sqlite3"
    with LocalStore(path) as store:
        ds = store.create_datastore("kept")
        store.add_instances(ds, [make_instance()])
    with LocalStore(path) as reopened:
        assert len(summaries(reopened, ds)) == 1
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(DatastoreError, match="schema version 99"):
        LocalStore(path)


def test_searches_during_an_import_never_see_half_an_image_set(store, ds):
    """Each call adds a whole 10-instance series; readers in other threads must only ever see multiples of 10."""
    stop = threading.Event()
    seen_counts: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                for summary in summaries(store, ds):
                    seen_counts.append(summary["DICOMTags"]["DICOMNumberOfStudyRelatedInstances"])
                    document = metadata(store, ds, summary["imageSetId"])
                    instances = next(iter(document["Study"]["Series"].values()))["Instances"]
                    seen_counts.append(len(instances))
        except BaseException as error:  # reported to the main thread below
            errors.append(error)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for n in range(25):
            store.add_instances(ds, [make_instance(series=f"1.{n}") for _ in range(10)])
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors
    assert seen_counts and all(count % 10 == 0 for count in seen_counts)
    assert summaries(store, ds)[0]["DICOMTags"]["DICOMNumberOfStudyRelatedInstances"] == 250


def test_a_thread_per_call_reuses_connections_instead_of_opening_one_per_thread(store, ds):
    """A threaded HTTP server starts a thread per request: the store must not keep a connection per thread."""
    for _ in range(20):
        thread = threading.Thread(target=lambda: summaries(store, ds))
        thread.start()
        thread.join()
    assert len(store._opened) == 1


def test_a_path_that_cannot_hold_the_file_is_a_clear_error(tmp_path):
    with pytest.raises(DatastoreError, match="Cannot open the local datastore file.*--db"):
        LocalStore(tmp_path)
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database, just text " * 100)
    with pytest.raises(DatastoreError, match="--db"):
        LocalStore(not_sqlite)


def test_a_schema_1_file_is_migrated_to_the_current_schema_in_place_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(SCHEMA_3_STORE, path)  # written by the schema-3 code
    connection = sqlite3.connect(path)
    schema_1_indexes = {  # the indexes schemas 2 and 3 changed, as schema 1 had them
        "updated": "ds, updated_at, id",
        "created": "ds, created_at, id",
        "study_dt": "ds, study_dt, id",
        "study_uid": "ds, study_uid, updated_at, id",
    }
    for name, columns in schema_1_indexes.items():
        connection.execute(f"DROP INDEX image_sets_by_{name}")
        connection.execute(f"CREATE INDEX image_sets_by_{name} ON image_sets ({columns})")
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()
    with LocalStore(path) as migrated:
        ds = migrated.resolve_datastore("old")
        assert len(summaries(migrated, ds)) == 10
        token = migrated.search_image_sets(ds, max_results=4)["nextToken"]
        assert len(migrated.search_image_sets(ds, next_token=token)["imageSetsMetadataSummaries"]) == 6
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {
        row[0] for row in connection.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    }
    assert indexes == set(statements(INDEXES))
    connection.close()


def test_a_write_blocked_by_another_process_is_a_clear_conflict_and_reads_go_on(tmp_path):
    path = tmp_path / "busy.sqlite3"
    with LocalStore(path, busy_timeout=0.2) as store:
        ds = store.create_datastore("busy")
        store.add_instances(ds, [make_instance(series="1.1")])
        other = sqlite3.connect(path, isolation_level=None)  # another process's import, holding the write lock
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(ConflictException, match="busy.*try again"):
                store.add_instances(ds, [make_instance(series="1.2")])
            assert len(summaries(store, ds)) == 1
            with LocalStore(path, busy_timeout=0.2) as opened_meanwhile:
                assert len(summaries(opened_meanwhile, ds)) == 1
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.add_instances(ds, [make_instance(series="1.2")])
        assert len(summaries(store, ds)) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_new_store_file_is_private_to_its_owner(tmp_path):
    path = tmp_path / "private.sqlite3"
    with LocalStore(path) as store:
        store.add_instances(store.create_datastore("private"), [make_instance()])
        for file in tmp_path.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
