"""Whatever a caller sends, the local search answers or raises ValidationException: never another error."""

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_instances import make_instance

from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.local.store import LocalStore

KEYS = [
    "filters", "sort", "values", "operator", "sortField", "sortOrder", "DICOMPatientId", "DICOMAccessionNumber",
    "DICOMStudyId", "DICOMStudyInstanceUID", "DICOMSeriesInstanceUID", "createdAt", "updatedAt",
    "DICOMStudyDateAndTime", "DICOMStudyDate", "DICOMStudyTime", "isPrimary",
]
WORDS = ["EQUAL", "BETWEEN", "ASC", "DESC", "updatedAt", "createdAt", "DICOMStudyDateAndTime", "20230115", "101500",
         "1.2.3", "PAT-1", "2024-03-01T12:00:00Z", ""]
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS), st.text(max_size=20), st.datetimes(timezones=st.sampled_from([None, timezone.utc])),
)
json_like = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=3),
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def searchable(tmp_path_factory):
    store = LocalStore(tmp_path_factory.mktemp("fuzz") / "store.sqlite3")
    ds = store.create_datastore("fuzz")
    store.add_instances(ds, [make_instance()], now=datetime(2024, 3, 1, tzinfo=timezone.utc))
    yield store, ds
    store.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(criteria=json_like, max_results=st.one_of(st.none(), leaves), token=st.one_of(st.none(), st.text(max_size=90)))
def test_any_input_is_answered_or_refused_as_a_validation_error(searchable, criteria, max_results, token):
    store, ds = searchable
    try:
        response = store.search_image_sets(ds, criteria, max_results=max_results, next_token=token)
    except ValidationException as error:
        assert error.message.startswith("1 validation error detected: ") and "\n" not in error.message
    else:
        assert "imageSetsMetadataSummaries" in response


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    attribute=st.sampled_from(KEYS[6:]),
    operator=st.sampled_from(["EQUAL", "BETWEEN"]),
    values=st.lists(
        leaves | st.dictionaries(st.sampled_from(["DICOMStudyDate", "DICOMStudyTime"]), leaves), max_size=3
    ),
)
def test_well_shaped_filters_with_any_values_are_answered_or_refused(searchable, attribute, operator, values):
    """Closer to real mistakes: the right structure with wrong values, which the fully random test rarely builds."""
    store, ds = searchable
    criteria = {"filters": [{"values": [{attribute: value} for value in values], "operator": operator}]}
    try:
        store.search_image_sets(ds, criteria)
    except ValidationException:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operation=st.sampled_from(
        ["get_image_set", "get_image_set_metadata", "list_image_set_versions", "list_datastores", "get_datastore"]
    ),
    arguments=st.lists(leaves | st.sampled_from(["0" * 32, "a" * 32, "1"]), max_size=3),
)
def test_other_operations_refuse_bad_arguments_as_aws_errors(searchable, operation, arguments):
    from imageset_search.datastores.errors import DatastoreError

    store, _ = searchable
    try:
        getattr(store, operation)(*arguments)
    except DatastoreError as error:
        assert "\n" not in error.message
    except TypeError as error:  # too many or too few arguments for the signature: a caller's programming error
        assert "argument" in str(error)
