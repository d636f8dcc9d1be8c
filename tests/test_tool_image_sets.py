"""get_image_set and list_image_set_versions over the real local store holding the demo datastore."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from mcp_helpers import store_summaries
from pydantic import ValidationError

from conftest import DEMO_DATASTORE_ID, DOCUMENTED_IMAGE_SET_ID
from endpoint_fixtures import aws, aws_env, endpoint, running_endpoint  # noqa: F401
from imageset_search.datastores.errors import ResourceNotFoundException
from imageset_search.datastores.local.demo import DOCUMENTED_PATIENT, EXAMPLE_4_SERIES_UID
from imageset_search.tools.errors import SearchError, describe_validation_error
from imageset_search.tools.image_sets import (
    GET_IMAGE_SET,
    LIST_IMAGE_SET_VERSIONS,
    GetImageSetArgs,
    ListVersionsArgs,
    get_image_set,
    list_image_set_versions,
)
from imageset_search.tools.settings import Settings

SETTINGS = Settings(tz=ZoneInfo("UTC"))
UNKNOWN_ID = "0" * 32


@pytest.fixture(scope="module")
def reimported(demo_store) -> dict:
    """The demo's example-4 series: imported, then imported again (version 2)."""
    criteria = {"filters": [{"values": [{"DICOMSeriesInstanceUID": EXAMPLE_4_SERIES_UID}], "operator": "EQUAL"}]}
    (found,) = store_summaries(demo_store, criteria)
    return found


def test_latest_version_has_iso_utc_times_and_workflow_status(demo_store, reimported):
    info = get_image_set(demo_store, GetImageSetArgs(image_set_id=reimported["imageSetId"]), SETTINGS)
    assert info.datastore_id == DEMO_DATASTORE_ID  # the only datastore, chosen without being named
    assert info.version == reimported["version"] == 2
    assert (info.state, info.workflow_status, info.is_primary) == ("ACTIVE", "UPDATED", True)
    assert info.updated_at == "2024-03-11T22:30:00.000000+00:00"
    assert datetime.fromisoformat(info.created_at) < datetime.fromisoformat(info.updated_at)
    assert info.compact()["storage_tier"] == "FREQUENT_ACCESS" and "message" not in info.compact()


def test_an_explicit_null_version_means_the_latest(demo_store, reimported):
    args = GetImageSetArgs.model_validate({"image_set_id": reimported["imageSetId"], "version": None})
    assert get_image_set(demo_store, args, SETTINGS).version == 2


def test_an_earlier_version_is_read_when_asked(demo_store, reimported):
    args = GetImageSetArgs(datastore_id=DEMO_DATASTORE_ID, image_set_id=reimported["imageSetId"], version="1")
    info = get_image_set(demo_store, args, SETTINGS)
    assert (info.version, info.workflow_status) == (1, "IMPORTED")
    assert info.updated_at == info.created_at


def test_non_primary_sets_say_so(demo_store):
    conflicting = next(item for item in store_summaries(demo_store) if item["isPrimary"] is False)
    info = get_image_set(demo_store, GetImageSetArgs(image_set_id=conflicting["imageSetId"]), SETTINGS)
    assert info.is_primary is False
    assert "non-primary" in GET_IMAGE_SET.text(info)


def test_text_is_plain_lines_naming_the_next_tools(demo_store):
    info = get_image_set(demo_store, GetImageSetArgs(image_set_id=DOCUMENTED_IMAGE_SET_ID), SETTINGS)
    text = GET_IMAGE_SET.text(info)
    assert "{" not in text and "get_image_set_metadata" in text and "list_image_set_versions" in text
    assert DOCUMENTED_PATIENT.patient_id not in text


def test_versions_page_through_with_the_datastores_token(demo_store, reimported):
    image_set_id = reimported["imageSetId"]
    seen, token = [], None
    while True:
        args = ListVersionsArgs(image_set_id=image_set_id, max_items=1, next_token=token)
        page = list_image_set_versions(demo_store, args, SETTINGS)
        assert page.count == len(page.versions) == 1
        seen += [brief.version for brief in page.versions]
        assert page.is_primary is True and page.created_at is not None
        if not page.has_more:
            assert page.next_token is None and "That is all" in LIST_IMAGE_SET_VERSIONS.text(page)
            break
        assert "next_token" in LIST_IMAGE_SET_VERSIONS.text(page)
        token = page.next_token
    assert seen == [2, 1]


def test_versions_in_one_page_are_compact(demo_store, reimported):
    page = list_image_set_versions(demo_store, ListVersionsArgs(image_set_id=reimported["imageSetId"]), SETTINGS)
    compact = page.compact()
    assert compact["has_more"] is False and "next_token" not in compact
    assert [entry["workflow_status"] for entry in compact["versions"]] == ["UPDATED", "IMPORTED"]
    assert all(set(entry) == {"version", "state", "workflow_status", "updated_at"} for entry in compact["versions"])


def test_an_unknown_image_set_is_not_found(demo_store):
    with pytest.raises(ResourceNotFoundException):
        get_image_set(demo_store, GetImageSetArgs(image_set_id=UNKNOWN_ID), SETTINGS)
    with pytest.raises(ResourceNotFoundException):
        list_image_set_versions(demo_store, ListVersionsArgs(image_set_id=UNKNOWN_ID), SETTINGS)


def test_a_version_the_image_set_lacks_is_not_found_and_says_which_exist(demo_store, reimported):
    args = GetImageSetArgs(image_set_id=reimported["imageSetId"], version=9)
    with pytest.raises(ResourceNotFoundException, match="versions are 1 to 2"):
        get_image_set(demo_store, args, SETTINGS)


@pytest.mark.parametrize("version", [0, -1, True, "two", 1.5, 10**30])
def test_a_malformed_version_is_refused_by_the_arguments(version):
    with pytest.raises(ValidationError) as caught:
        GetImageSetArgs(image_set_id=UNKNOWN_ID, version=version)
    assert "version" in describe_validation_error(caught.value)


@pytest.mark.parametrize("image_set_id", ["", "abc", "A" * 32, "0" * 33, DOCUMENTED_PATIENT.patient_id])
def test_a_malformed_image_set_id_is_refused_without_echoing_it(image_set_id):
    with pytest.raises(ValidationError) as caught:
        GetImageSetArgs(image_set_id=image_set_id)
    message = describe_validation_error(caught.value)
    assert "image_set_id: must be 32 lower-case letters and digits" in message
    assert DOCUMENTED_PATIENT.patient_id not in message


def test_an_image_set_id_is_trimmed():
    assert GetImageSetArgs(image_set_id=f" {UNKNOWN_ID}\n").image_set_id == UNKNOWN_ID


def test_a_malformed_datastore_id_is_a_fixable_error(demo_store):
    args = GetImageSetArgs(datastore_id="my-store", image_set_id=DOCUMENTED_IMAGE_SET_ID)
    with pytest.raises(SearchError, match="list_datastores"):
        get_image_set(demo_store, args, SETTINGS)


def test_a_huge_datastore_id_is_refused_by_the_arguments_naming_it():
    with pytest.raises(ValidationError) as caught:
        GetImageSetArgs(datastore_id="x" * 1_000_000, image_set_id=UNKNOWN_ID)
    assert "datastore_id" in describe_validation_error(caught.value)


def test_an_unknown_datastore_is_not_found(demo_store):
    args = ListVersionsArgs(datastore_id="f" * 32, image_set_id=DOCUMENTED_IMAGE_SET_ID)
    with pytest.raises(ResourceNotFoundException):
        list_image_set_versions(demo_store, args, SETTINGS)


def test_a_foreign_next_token_is_refused_in_the_tools_words(demo_store, reimported):
    args = ListVersionsArgs(image_set_id=reimported["imageSetId"], next_token="not-a-token")
    with pytest.raises(SearchError, match="^next_token is not one this datastore issued.*list_image_set_versions"):
        list_image_set_versions(demo_store, args, SETTINGS)


def test_a_token_for_another_image_set_is_refused(demo_store, reimported):
    first = list_image_set_versions(
        demo_store, ListVersionsArgs(image_set_id=reimported["imageSetId"], max_items=1), SETTINGS
    )
    elsewhere = ListVersionsArgs(image_set_id=DOCUMENTED_IMAGE_SET_ID, next_token=first.next_token)
    with pytest.raises(SearchError, match="next_token"):
        list_image_set_versions(demo_store, elsewhere, SETTINGS)


@pytest.mark.parametrize("model", [GetImageSetArgs, ListVersionsArgs])
def test_unknown_keys_are_named(model):
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"image_set_id": UNKNOWN_ID, "imageSetId": UNKNOWN_ID})
    message = describe_validation_error(caught.value)
    assert "unknown" in message and "'imageSetId'" in message


@pytest.mark.parametrize("max_items", [0, 51])
def test_max_items_is_the_services_page_range(max_items):
    with pytest.raises(ValidationError):
        ListVersionsArgs(image_set_id=UNKNOWN_ID, max_items=max_items)


def test_specs_publish_strict_schemas():
    for spec in (GET_IMAGE_SET, LIST_IMAGE_SET_VERSIONS):
        schema = spec.arguments.model_json_schema()
        assert schema["additionalProperties"] is False and schema["required"] == ["image_set_id"]
        assert all(field.get("description") for field in schema["properties"].values())
        assert spec.result.model_json_schema()["type"] == "object"


def test_aws_over_http_gives_the_same_answers(demo_store, aws, reimported):
    """The same tools over boto3 and the local HealthImaging endpoint: one path for both backends."""
    image_set_id = reimported["imageSetId"]
    assert get_image_set(aws, GetImageSetArgs(image_set_id=image_set_id, version=1), SETTINGS) == get_image_set(
        demo_store, GetImageSetArgs(image_set_id=image_set_id, version=1), SETTINGS
    )
    first = ListVersionsArgs(image_set_id=image_set_id, max_items=1)
    over_http = list_image_set_versions(aws, first, SETTINGS)
    assert over_http == list_image_set_versions(demo_store, first, SETTINGS)
    rest = ListVersionsArgs(image_set_id=image_set_id, next_token=over_http.next_token)
    assert [brief.version for brief in list_image_set_versions(aws, rest, SETTINGS).versions] == [1]
