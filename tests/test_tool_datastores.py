"""list_datastores and the datastores resource over real local stores."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from conftest import DEMO_DATASTORE_ID
from endpoint_fixtures import aws, aws_env, endpoint, running_endpoint  # noqa: F401
from imageset_search.datastores.local.store import LocalStore
from imageset_search.tools.choice import choose_datastore
from imageset_search.tools.datastore_list import (
    LIST_DATASTORES,
    ListDatastoresArgs,
    datastore_listing,
    list_datastores,
)
from imageset_search.tools.errors import SearchError, describe_validation_error
from imageset_search.tools.settings import Settings

SETTINGS = Settings(tz=ZoneInfo("UTC"))
NAMES = ("first", "second", "third")


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> LocalStore:
    """A store with three empty datastores, created a day apart."""
    store = LocalStore(tmp_path_factory.mktemp("three") / "three.sqlite3")
    for day, name in enumerate(NAMES, start=1):
        store.create_datastore(name, now=datetime(2025, 1, day, 8, tzinfo=UTC))
    yield store
    store.close()


def test_the_demo_datastore_is_listed_and_is_the_default(demo_store):
    listing = list_datastores(demo_store, ListDatastoresArgs(), SETTINGS)
    (brief,) = listing.datastores
    assert (brief.datastore_id, brief.name, brief.status) == (DEMO_DATASTORE_ID, "demo", "ACTIVE")
    assert brief.created_at == "2020-01-01T00:00:00.000000+00:00"
    assert listing.default_datastore_id == DEMO_DATASTORE_ID and listing.has_more is False
    assert f"use {DEMO_DATASTORE_ID}" in LIST_DATASTORES.text(listing)


def test_the_local_store_gives_the_count(demo_store):
    (brief,) = list_datastores(demo_store, ListDatastoresArgs(), SETTINGS).datastores
    assert brief.image_set_count == 200


def test_pages_follow_the_datastores_token(three):
    first = list_datastores(three, ListDatastoresArgs(max_items=2), SETTINGS)
    assert [brief.name for brief in first.datastores] == ["first", "second"] and first.has_more
    assert "next_token" in LIST_DATASTORES.text(first)
    rest = list_datastores(three, ListDatastoresArgs(max_items=2, next_token=first.next_token), SETTINGS)
    assert [brief.name for brief in rest.datastores] == ["third"] and not rest.has_more and rest.next_token is None
    assert rest.datastores[0].created_at == "2025-01-03T08:00:00.000000+00:00"


def test_with_several_datastores_there_is_no_default_unless_configured(three):
    listing = list_datastores(three, ListDatastoresArgs(), SETTINGS)
    assert listing.default_datastore_id is None and "Pass datastore_id" in LIST_DATASTORES.text(listing)
    chosen = listing.datastores[1].datastore_id
    configured = list_datastores(three, ListDatastoresArgs(), Settings(tz=SETTINGS.tz, default_datastore_id=chosen))
    assert configured.default_datastore_id == chosen


def test_the_default_agrees_with_what_the_tools_choose(three, demo_store):
    with pytest.raises(SearchError, match="several datastores"):
        choose_datastore(three, None, None)
    only = list_datastores(demo_store, ListDatastoresArgs(), SETTINGS).default_datastore_id
    assert only == choose_datastore(demo_store, None, None)


def test_a_status_filter_is_passed_to_the_datastore(three):
    assert list_datastores(three, ListDatastoresArgs(status="DELETED"), SETTINGS).count == 0
    assert list_datastores(three, ListDatastoresArgs(status="ACTIVE"), SETTINGS).count == len(NAMES)


def test_a_foreign_token_is_refused_in_the_tools_words(three):
    with pytest.raises(SearchError, match="^next_token is not one this datastore issued.*list_datastores"):
        list_datastores(three, ListDatastoresArgs(next_token="made-up"), SETTINGS)


@pytest.mark.parametrize(
    "arguments",
    [{"status": "active"}, {"max_items": 0}, {"max_items": 51}, {"next_token": ""}, {"datastore_status": "ACTIVE"}],
)
def test_bad_arguments_are_refused_by_name(arguments):
    """By the argument's name; an unknown one (it may hold a value) by the known name it looks like."""
    with pytest.raises(ValidationError) as caught:
        ListDatastoresArgs.model_validate(arguments)
    name = next(iter(arguments))
    expected = "did you mean 'status'" if name == "datastore_status" else name
    assert expected in describe_validation_error(caught.value)


def test_the_resource_lists_every_datastore(three):
    listing = datastore_listing(three, SETTINGS)
    assert [entry["name"] for entry in listing["datastores"]] == list(NAMES)
    assert listing["count"] == 3 and listing["has_more"] is False and "default_datastore_id" not in listing


def test_aws_over_http_lists_the_same_datastores_without_a_count(demo_store, aws):
    over_http = list_datastores(aws, ListDatastoresArgs(), SETTINGS).compact()
    local = list_datastores(demo_store, ListDatastoresArgs(), SETTINGS).compact()
    assert "image_set_count" not in over_http["datastores"][0]  # SearchImageSets has no count; AWS gives none
    del local["datastores"][0]["image_set_count"]
    assert over_http == local
