"""The CLI's resume token: opaque, versioned, bound to its search, and never re-delivering whatever the page sizes."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imageset_search.datastores.errors import InternalServerException
from imageset_search.datastores.local.records import Instance
from imageset_search.datastores.local.store import LocalStore
from imageset_search.server.errors import CommandError
from imageset_search.server.aws_cli.paging import Position, decode_token, encode_token, search_fingerprint, walk

DATASTORE = "0123456789abcdef0123456789abcdef"
IMAGE_SETS = 23
CRITERIA = {"filters": [{"values": [{"isPrimary": True}], "operator": "EQUAL"}]}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real local store holding IMAGE_SETS one-instance series, each imported a minute after the last."""
    store = LocalStore(tmp_path_factory.mktemp("paging") / "store.sqlite3")
    store.create_datastore("paging", DATASTORE)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(IMAGE_SETS):
        series = f"1.2.3.{number}"
        instance = Instance(f"{series}.1", series, {"DICOMPatientId": f"P{number % 5}", "DICOMSeriesNumber": number})
        store.add_instances(DATASTORE, [instance], now=start + timedelta(minutes=number))
    yield store
    store.close()


@pytest.fixture(scope="module")
def every_id(store):
    return [
        summary["imageSetId"] for summary in store.search_image_sets(DATASTORE, CRITERIA)["imageSetsMetadataSummaries"]
    ]


def run_walk(store, steps):
    """Resume run after run, each with its own (max_items, page_size), as a user re-running the command would."""
    fingerprint = search_fingerprint(DATASTORE, CRITERIA)
    delivered, token = [], None
    for max_items, page_size in steps:
        start = decode_token(token, fingerprint) if token else Position()
        result = walk(store, DATASTORE, CRITERIA, start=start, page_size=page_size, max_items=max_items)
        delivered += [summary["imageSetId"] for summary in result.items]
        token = encode_token(result.resume, fingerprint) if result.resume else None
        if token is None:
            return delivered
    raise AssertionError("the walk did not end within the steps given")


def test_the_store_has_more_than_one_page_of_the_smallest_sizes(every_id):
    assert len(every_id) == IMAGE_SETS


@pytest.mark.parametrize("max_items", range(1, 8))
@pytest.mark.parametrize("page_sizes", [[None], [1], [3], [2, 5], [7, 1, 4], [50, 2]])
def test_resuming_delivers_every_image_set_once_in_order(store, every_id, max_items, page_sizes):
    steps = [(max_items, page_sizes[step % len(page_sizes)]) for step in range(IMAGE_SETS + 1)]
    assert run_walk(store, steps) == every_id


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(1, 9), st.one_of(st.none(), st.integers(1, 12))), min_size=IMAGE_SETS, max_size=IMAGE_SETS
    )
)
def test_any_mix_of_max_items_and_page_sizes_delivers_exactly_once(store, every_id, steps):
    assert run_walk(store, steps) == every_id


def test_without_max_items_the_walk_reads_everything(store, every_id):
    result = walk(store, DATASTORE, CRITERIA, start=Position(), page_size=4, max_items=None)
    assert [summary["imageSetId"] for summary in result.items] == every_id
    assert result.resume is None


def test_max_items_ending_on_the_last_item_leaves_no_token(store):
    result = walk(store, DATASTORE, CRITERIA, start=Position(), page_size=5, max_items=IMAGE_SETS)
    assert len(result.items) == IMAGE_SETS and result.resume is None


def test_a_mid_page_token_re_reads_that_page_at_its_own_size(store):
    result = walk(store, DATASTORE, CRITERIA, start=Position(), page_size=10, max_items=3)
    assert result.resume.page_size == 10 and result.resume.delivered == 3 and result.resume.service_token is None


FINGERPRINT = search_fingerprint(DATASTORE, CRITERIA)
TOKEN = encode_token(Position("service-token", 10, 3), FINGERPRINT)


def document(token):
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def reencode(body):
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def test_token_round_trips_and_is_base64url():
    assert decode_token(TOKEN, FINGERPRINT) == Position("service-token", 10, 3)
    assert set(TOKEN) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_token_carries_a_version():
    assert document(TOKEN)["v"] == 1


@pytest.mark.parametrize(
    "bad, says",
    [
        ("not a token!", "not a NextToken"),
        ("eyJ2IjoxfQ", "altered"),  # {"v":1} with nothing else
        (TOKEN[:-6], "not a NextToken"),
        (reencode({**document(TOKEN), "k": 1}), "altered"),
        (reencode({**document(TOKEN), "v": 2}), "version 2"),
        (reencode([1, 2]), "not a NextToken"),
        (base64.b64encode(b'{"nextToken": "abc", "boto_truncate_amount": 1}').decode(), "AWS CLI"),
    ],
)
def test_damaged_tokens_are_refused_with_what_to_do(bad, says):
    with pytest.raises(CommandError) as caught:
        decode_token(bad, FINGERPRINT)
    message = str(caught.value)
    assert says in message and "--starting-token" in message and "\n" not in message


def test_a_token_of_another_search_is_refused():
    other = search_fingerprint(DATASTORE, {"filters": [{"values": [{"DICOMPatientId": "P1"}], "operator": "EQUAL"}]})
    with pytest.raises(CommandError, match="different search"):
        decode_token(TOKEN, other)


def test_fingerprint_ignores_key_order_but_not_values():
    reordered = {"filters": [{"operator": "EQUAL", "values": [{"isPrimary": True}]}]}
    assert search_fingerprint(DATASTORE, reordered) == FINGERPRINT
    assert search_fingerprint("f" * 32, CRITERIA) != FINGERPRINT


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, len(TOKEN) - 1),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.!"),
)
def test_any_edit_of_a_token_is_refused_or_changes_nothing(index, character):
    edited = TOKEN[:index] + character + TOKEN[index + 1 :]
    try:
        position = decode_token(edited, FINGERPRINT)
    except CommandError as refused:
        assert str(refused).startswith("Error parsing parameter '--starting-token'")
    else:
        assert position == Position("service-token", 10, 3)  # base64's spare low bits: the same bytes


class RepeatingService:
    """A service that answers every page with the token it was sent: the one case no real store here can show."""

    def search_image_sets(self, datastore_id, search_criteria=None, max_results=None, next_token=None):
        return {"imageSetsMetadataSummaries": [{"imageSetId": "a" * 32}], "nextToken": "same"}


def test_a_service_repeating_its_token_stops_the_walk_with_a_service_error():
    with pytest.raises(InternalServerException, match="cannot progress"):
        walk(RepeatingService(), DATASTORE, None, start=Position(), page_size=None, max_items=None)
