"""Parity: the local store read directly and read through AwsDatastore -> real boto3 -> HTTP -> endpoint -> the same
store must give identical answers (same pages, same order, same tokens, same error classes and messages).

This is what makes the AWS backend trustworthy without AWS: every request below is really signed, serialized to
rest-json, sent over a socket, parsed by the endpoint, answered in AWS's format and parsed back by botocore.
"""

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from endpoint_fixtures import aws, aws_env, endpoint, image_set_ids, running_endpoint, walk  # noqa: F401

from imageset_search.datastores.errors import DatastoreError

DEMO = "12345678901234567890123456789012"
DOCUMENTED = "09876543210987654321098765432109"
DOCUMENTED_AT = datetime(2022, 12, 6, 21, 40, 59, 429000, tzinfo=timezone.utc)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "search-criteria"


def equal(attribute, value):
    return {"filters": [{"values": [{attribute: value}], "operator": "EQUAL"}]}


def between(attribute, low, high, sort=None):
    criteria = {"filters": [{"values": [{attribute: low}, {attribute: high}], "operator": "BETWEEN"}]}
    return {**criteria, "sort": sort} if sort else criteria


def study(date, time=None):
    return {"DICOMStudyDate": date, **({"DICOMStudyTime": time} if time is not None else {})}


@pytest.fixture(scope="module")
def sample(demo_store):
    """DICOM values of one image set of the demo (not the documented one), so each ID filter has a real match."""
    page = demo_store.search_image_sets(DEMO, max_results=20)["imageSetsMetadataSummaries"]
    return next(s for s in page if s["DICOMTags"].get("DICOMAccessionNumber"))


def query_shapes(sample):
    tags = sample["DICOMTags"]
    updated = sample["updatedAt"]
    return {
        "none": None,
        "empty": {},
        "patient": equal("DICOMPatientId", "SUBJECT08701"),
        "patient-sample": equal("DICOMPatientId", tags["DICOMPatientId"]),
        "accession": equal("DICOMAccessionNumber", tags["DICOMAccessionNumber"]),
        "study-id": equal("DICOMStudyId", tags["DICOMStudyId"]),
        "study-uid": equal("DICOMStudyInstanceUID", tags["DICOMStudyInstanceUID"]),
        "series-uid": equal("DICOMSeriesInstanceUID", tags["DICOMSeriesInstanceUID"]),
        "no-match": equal("DICOMPatientId", "NOBODY-HAS-THIS-ID"),
        "primary": equal("isPrimary", True),
        "non-primary": equal("isPrimary", False),
        "created-exact-datetime": equal("createdAt", DOCUMENTED_AT),
        "created-exact-iso": equal("createdAt", "2022-12-06T21:40:59.429Z"),
        "created-between-datetimes": between("createdAt", datetime(2021, 1, 1, tzinfo=timezone.utc), DOCUMENTED_AT),
        "created-between-naive": between("createdAt", datetime(2021, 1, 1), datetime(2023, 1, 1)),
        "created-between-iso": between("createdAt", "1985-04-12T23:20:50.52Z", "2022-04-12T23:20:50.52Z"),
        "created-between-epoch": between("createdAt", 1577836800, 1700000000),
        "updated-window": between(
            "updatedAt", updated - timedelta(days=30), updated, {"sortField": "updatedAt", "sortOrder": "ASC"}
        ),
        "study-between-times": between(
            "DICOMStudyDateAndTime", study("19900101", "000000"), study("20230101", "000000")
        ),
        "study-between-dates": between(
            "DICOMStudyDateAndTime",
            study("20200101"),
            study("20251231"),
            {"sortField": "DICOMStudyDateAndTime", "sortOrder": "DESC"},
        ),
        "study-between-fraction": between(
            "DICOMStudyDateAndTime", study("19991122", "140728"), study("19991122", "235959.999999")
        ),
        "study-day": equal("DICOMStudyDateAndTime", study("19991122")),
        "two-filters": {
            "filters": [
                between(
                    "createdAt", datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc)
                )["filters"][0],
                equal("isPrimary", True)["filters"][0],
            ],
            "sort": {"sortField": "createdAt", "sortOrder": "ASC"},
        },
        **{
            f"sort-{field}-{order}": {"sort": {"sortField": field, "sortOrder": order}}
            for field in ("updatedAt", "createdAt", "DICOMStudyDateAndTime")
            for order in ("ASC", "DESC")
        },
        **{f"example-{n}": json.loads((EXAMPLES / f"example-{n}.json").read_text()) for n in (1, 2, 3, 4)},
    }


def both(demo_store, aws, call):
    """`call(datastore)` on the store directly and through AWS: (result or error) each, for comparison."""
    return [_outcome(call, datastore) for datastore in (demo_store, aws)]


def _outcome(call, datastore):
    try:
        return call(datastore)
    except DatastoreError as exc:
        return (type(exc).__name__, exc.message)


def test_every_query_shape_and_sort_gives_the_same_first_page(demo_store, aws, sample):
    for name, criteria in query_shapes(sample).items():
        direct, through_aws = both(demo_store, aws, lambda d: d.search_image_sets(DEMO, criteria, max_results=10))
        assert through_aws == direct, name
        assert not isinstance(direct, tuple), f"{name} should be a valid query: {direct}"


def test_the_documented_examples_find_the_documented_image_set(demo_store, aws, sample):
    shapes = query_shapes(sample)
    for name in ("example-1", "example-2", "patient", "created-exact-datetime"):
        ids = image_set_ids(walk(aws, DEMO, shapes[name]))
        assert DOCUMENTED in ids, name
    assert image_set_ids(walk(aws, DEMO, shapes["example-1"])) == [DOCUMENTED]


WALKS = [
    (name, size)
    for name in ("none", "sort-DICOMStudyDateAndTime-ASC", "non-primary", "study-between-times")
    for size in (7, 50, None)
] + [("non-primary", 1), ("study-uid", 1)]  # page size 1 only where few match: one request per image set


@pytest.mark.parametrize("name, page_size", WALKS)
def test_full_walks_are_identical_page_by_page_and_return_each_image_set_once(demo_store, aws, sample, name, page_size):
    criteria = query_shapes(sample)[name]
    direct = walk(demo_store, DEMO, criteria, page_size)
    assert walk(aws, DEMO, criteria, page_size) == direct
    ids = image_set_ids(direct)
    assert ids and len(ids) == len(set(ids))


def bad_requests(demo_store):
    token = demo_store.search_image_sets(DEMO, max_results=2)["nextToken"]
    good_filter = equal("DICOMPatientId", "SUBJECT08701")["filters"][0]
    # (name, search kwargs); the first group botocore itself refuses, the second only the service rules catch.
    return {
        "no-filters": dict(search_criteria={"filters": []}),
        "no-values": dict(search_criteria={"filters": [{"values": [], "operator": "EQUAL"}]}),
        "two-keys-in-a-value": dict(
            search_criteria={
                "filters": [{"values": [{"DICOMPatientId": "A", "DICOMStudyId": "B"}], "operator": "EQUAL"}]
            }
        ),
        "empty-value": dict(search_criteria={"filters": [{"values": [{}], "operator": "EQUAL"}]}),
        "unknown-criteria-key": dict(search_criteria={"filters": [good_filter], "limit": 5}),
        "unknown-attribute": dict(search_criteria=equal("DICOMModality", "CT")),
        "missing-operator": dict(search_criteria={"filters": [{"values": [{"DICOMPatientId": "A"}]}]}),
        "id-not-a-string": dict(search_criteria=equal("DICOMPatientId", 8701)),
        "primary-not-a-boolean": dict(search_criteria=equal("isPrimary", "true")),
        "created-garbage": dict(search_criteria=equal("createdAt", "not a time")),
        "study-without-date": dict(search_criteria=equal("DICOMStudyDateAndTime", {"DICOMStudyTime": "120000"})),
        "sort-without-order": dict(search_criteria={"sort": {"sortField": "updatedAt"}}),
        "max-results-zero": dict(max_results=0),
        "max-results-text": dict(max_results="10"),
        "empty-token": dict(next_token=""),
        # refused by the service's rules, not by botocore
        "three-filters": dict(search_criteria={"filters": [good_filter] * 3}),
        "max-results-51": dict(max_results=51),
        "unknown-operator": dict(
            search_criteria={"filters": [{"values": [{"DICOMPatientId": "A"}], "operator": "LIKE"}]}
        ),
        "between-on-patient": dict(search_criteria=between("DICOMPatientId", "A", "B")),
        "between-one-value": dict(
            search_criteria={"filters": [{"values": [{"createdAt": DOCUMENTED_AT}], "operator": "BETWEEN"}]}
        ),
        "equal-two-values": dict(
            search_criteria={"filters": [{"values": [{"DICOMPatientId": "A"}] * 2, "operator": "EQUAL"}]}
        ),
        "between-mixed": dict(
            search_criteria={
                "filters": [
                    {"values": [{"createdAt": DOCUMENTED_AT}, {"updatedAt": DOCUMENTED_AT}], "operator": "BETWEEN"}
                ]
            }
        ),
        "bounds-reversed": dict(search_criteria=between("createdAt", DOCUMENTED_AT, DOCUMENTED_AT - timedelta(days=1))),
        "not-a-date": dict(search_criteria=equal("DICOMStudyDateAndTime", study("20231301"))),
        "short-date": dict(search_criteria=equal("DICOMStudyDateAndTime", study("991122"))),
        "bad-time": dict(search_criteria=equal("DICOMStudyDateAndTime", study("19991122", "250000"))),
        "uid-with-letters": dict(search_criteria=equal("DICOMSeriesInstanceUID", "1.2.abc")),
        "id-too-long": dict(search_criteria=equal("DICOMPatientId", "X" * 513)),
        "unknown-sort-field": dict(search_criteria={"sort": {"sortField": "DICOMPatientId", "sortOrder": "ASC"}}),
        "lower-case-order": dict(search_criteria={"sort": {"sortField": "updatedAt", "sortOrder": "asc"}}),
        "forged-token": dict(next_token="forged-token-value"),
        "token-of-another-query": dict(search_criteria=equal("isPrimary", True), next_token=token),
    }


def test_every_validation_error_has_the_same_kind_and_message(demo_store, aws):
    for name, kwargs in bad_requests(demo_store).items():
        direct, through_aws = both(demo_store, aws, lambda d: d.search_image_sets(DEMO, **kwargs))
        assert isinstance(direct, tuple) and direct[0] == "ValidationException", (name, direct)
        assert through_aws == direct, name


def test_bad_datastore_ids_fail_alike(demo_store, aws):
    for datastore_id in ("f" * 32, "NOT-AN-ID", "", "a" * 31):
        direct, through_aws = both(demo_store, aws, lambda d: d.search_image_sets(datastore_id))
        assert isinstance(direct, tuple), datastore_id
        assert through_aws == direct, datastore_id


def test_image_set_operations_match(demo_store, aws):
    versioned = next(
        s["imageSetId"] for s in walk(demo_store, DEMO, None, 50)[0]["imageSetsMetadataSummaries"] if s["version"] > 1
    )
    calls = {
        "get": lambda d: d.get_image_set(DEMO, DOCUMENTED),
        "get-version-1": lambda d: d.get_image_set(DEMO, versioned, "1"),
        "get-latest": lambda d: d.get_image_set(DEMO, versioned),
        "get-missing-version": lambda d: d.get_image_set(DEMO, versioned, "99"),
        "get-bad-version": lambda d: d.get_image_set(DEMO, versioned, "one"),
        "get-unknown": lambda d: d.get_image_set(DEMO, "0" * 32),
        "metadata": lambda d: d.get_image_set_metadata(DEMO, DOCUMENTED),
        "metadata-version-1": lambda d: d.get_image_set_metadata(DEMO, versioned, "1"),
        "metadata-unknown": lambda d: d.get_image_set_metadata(DEMO, "0" * 32),
        "versions": lambda d: d.list_image_set_versions(DEMO, versioned),
        "versions-paged": lambda d: d.list_image_set_versions(DEMO, versioned, max_results=1),
        "versions-bad-size": lambda d: d.list_image_set_versions(DEMO, versioned, max_results=51),
        "datastores": lambda d: d.list_datastores(),
        "datastores-active": lambda d: d.list_datastores(datastore_status="ACTIVE", max_results=1),
        "datastores-deleted": lambda d: d.list_datastores(datastore_status="DELETED"),
        "datastores-bad-status": lambda d: d.list_datastores(datastore_status="GONE"),
        "datastore": lambda d: d.get_datastore(DEMO),
        "datastore-unknown": lambda d: d.get_datastore("f" * 32),
    }
    for name, call in calls.items():
        direct, through_aws = both(demo_store, aws, call)
        assert through_aws == direct, name
    second_page = both(
        demo_store,
        aws,
        lambda d: d.list_image_set_versions(
            DEMO, versioned, 1, d.list_image_set_versions(DEMO, versioned, 1)["nextToken"]
        ),
    )
    assert second_page[0] == second_page[1]


def test_metadata_arrives_as_the_gzip_document_aws_sends(aws):
    document = json.loads(gzip.decompress(aws.get_image_set_metadata(DEMO, DOCUMENTED)))
    assert document["DatastoreID"] == DEMO and document["ImageSetID"] == DOCUMENTED
    assert document["Study"]["DICOM"]["StudyInstanceUID"] == "1.2.840.99999999.84710745.943275268089"


def test_timestamps_come_back_as_the_same_aware_utc_datetimes(demo_store, aws):
    direct, through_aws = both(demo_store, aws, lambda d: d.get_image_set(DEMO, DOCUMENTED))
    assert through_aws["createdAt"] == DOCUMENTED_AT
    assert repr(through_aws["createdAt"]) == repr(direct["createdAt"])


def test_concurrent_walks_through_one_shared_client_match_the_store(demo_store, aws, sample):
    from concurrent.futures import ThreadPoolExecutor

    shapes = query_shapes(sample)
    jobs = [
        (name, size) for name in ("none", "sort-createdAt-ASC", "primary", "study-between-dates") for size in (9, 50)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: walk(aws, DEMO, shapes[job[0]], job[1]), jobs))
    for (name, size), through_aws in zip(jobs, results):
        assert through_aws == walk(demo_store, DEMO, shapes[name], size), (name, size)
