"""The command's paging: the search tool's paginator (`collect`) and a signed resume token, exactly once whatever
the mix of --max-items and --page-size, each run a real `search-image-sets` process step over a real local store."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imageset_search.datastores.errors import InternalServerException
from imageset_search.datastores.local.records import Instance
from imageset_search.datastores.local.store import LocalStore
from imageset_search.datastores.tokens import TokenError
from imageset_search.server.cli import main
from imageset_search.tools.paginator import DEFAULT_SIZE, Position, collect
from imageset_search.tools.tokens import decode_resume, encode_resume, resume_shaped

DATASTORE = "0123456789abcdef0123456789abcdef"
IMAGE_SETS = 23
CRITERIA = {"filters": [{"values": [{"isPrimary": True}], "operator": "EQUAL"}]}
SECRET = b"s" * 32
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SCOPE = json.dumps([DATASTORE, CRITERIA], sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A real local store holding IMAGE_SETS one-instance series, each imported a minute after the last."""
    path = tmp_path_factory.mktemp("paging") / "store.sqlite3"
    with LocalStore(path) as store:
        store.create_datastore("paging", DATASTORE)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        for number in range(IMAGE_SETS):
            series = f"1.2.3.{number}"
            tags = {"DICOMPatientId": f"P{number % 5}", "DICOMSeriesNumber": number}
            instance = Instance(f"{series}.1", series, tags)
            store.add_instances(DATASTORE, [instance], now=start + timedelta(minutes=number))
    return path


@pytest.fixture(scope="module")
def every_id(db):
    with LocalStore(db) as store:
        return [s["imageSetId"] for s in store.search_image_sets(DATASTORE, CRITERIA)["imageSetsMetadataSummaries"]]


def command(capsys, db, *args) -> tuple[int, dict, str]:
    code = main(["search-image-sets", "--db", str(db), "--datastore-id", DATASTORE,
                 "--search-criteria", json.dumps(CRITERIA), *[str(arg) for arg in args]])  # fmt: skip
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


def run_walk(capsys, db, steps) -> list[str]:
    """Resume run after run, each with its own (max_items, page_size), as a user re-running the command would."""
    delivered, token = [], None
    for max_items, page_size in steps:
        args = ["--max-items", max_items] + (["--page-size", page_size] if page_size else [])
        code, response, err = command(capsys, db, *args, *(["--starting-token", token] if token else []))
        assert code == 0, err
        delivered += [summary["imageSetId"] for summary in response["imageSetsMetadataSummaries"]]
        token = response.get("NextToken")
        if token is None:
            return delivered
    raise AssertionError("the walk did not end within the steps given")


def test_the_store_has_more_than_one_page_of_the_smallest_sizes(every_id):
    assert len(every_id) == IMAGE_SETS


@pytest.mark.parametrize("max_items", [1, 4, 7])
@pytest.mark.parametrize("page_sizes", [[None], [3], [7, 1, 4], [50, 2]])
def test_resuming_delivers_every_image_set_once_in_order(capsys, db, every_id, max_items, page_sizes):
    steps = [(max_items, page_sizes[step % len(page_sizes)]) for step in range(IMAGE_SETS + 1)]
    assert run_walk(capsys, db, steps) == every_id


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 9), st.one_of(st.none(), st.integers(1, 12))), min_size=IMAGE_SETS,
                max_size=IMAGE_SETS))
def test_any_mix_of_max_items_and_page_sizes_delivers_exactly_once(capsys, db, every_id, steps):
    assert run_walk(capsys, db, steps) == every_id


def walk_pages(db, **options):
    with LocalStore(db) as store:
        def fetch(token, size):
            return store.search_image_sets(DATASTORE, CRITERIA, max_results=size or None, next_token=token)

        return collect(fetch, options.pop("start", Position()), **options)


def test_without_max_items_the_walk_reads_everything_page_by_page(db, every_id):
    result = walk_pages(db, want=None, page_size=4)
    assert [summary["imageSetId"] for summary in result.items] == every_id
    assert [len(page) for page in result.pages] == [4] * 5 + [3] and result.next is None
    assert result.first_page["sort"] == {"sortField": "updatedAt", "sortOrder": "DESC"}


def test_max_items_ending_on_the_last_item_leaves_no_token(db):
    result = walk_pages(db, want=IMAGE_SETS, page_size=5)
    assert len(result.items) == IMAGE_SETS and result.next is None


def test_a_mid_page_stop_re_reads_that_page_at_its_own_size(db):
    result = walk_pages(db, want=3, page_size=10)
    assert (result.next.page_size, result.next.offset, result.next.service_token) == (10, 3, None)
    assert walk_pages(db, want=3, page_size=DEFAULT_SIZE).next.page_size == DEFAULT_SIZE


MID_PAGE = Position("service-token", 10, 3, 12345)
TOKEN = encode_resume(SECRET, SCOPE, MID_PAGE)


def test_token_round_trips_is_base64url_and_short():
    assert decode_resume(SECRET, SCOPE, TOKEN) == MID_PAGE
    assert set(TOKEN) <= set(ALPHABET) and len(TOKEN) < 60


def test_a_token_of_another_secret_or_search_is_refused():
    with pytest.raises(TokenError) as other_secret:
        decode_resume(b"t" * 32, SCOPE, TOKEN)
    with pytest.raises(TokenError) as other_search:
        decode_resume(SECRET, SCOPE.replace("true", "false"), TOKEN)
    assert (other_secret.value.reason, other_search.value.reason) == ("damaged", "scope")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(TOKEN) - 1), st.sampled_from(ALPHABET + "=.!"))
def test_any_edit_of_a_token_is_refused(index, character):
    edited = TOKEN[:index] + character + TOKEN[index + 1:]
    if edited != TOKEN:
        with pytest.raises(TokenError):
            decode_resume(SECRET, SCOPE, edited)


@pytest.mark.parametrize(
    "bad, says",
    [
        ("not a token!", "not a NextToken"),
        ("eyJ2IjoxfQ", "not a NextToken"),  # the old format's {"v":1}
        (TOKEN[:-6], "not a NextToken"),
        (base64.b64encode(b'{"nextToken": "abc", "boto_truncate_amount": 1}').decode(), "AWS CLI"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_damaged_tokens_are_one_line_parameter_errors(capsys, db, bad, says):
    assert not resume_shaped(bad)
    code, _, err = command(capsys, db, "--starting-token", bad)
    assert code == 252 and says in err and err.startswith("Error parsing parameter '--starting-token'")
    assert err.count("\n") == 1


def test_a_well_shaped_token_of_another_store_is_refused_after_opening(capsys, db):
    forged = encode_resume(SECRET, SCOPE, Position())  # right layout, wrong secret
    assert resume_shaped(forged)
    code, _, err = command(capsys, db, "--starting-token", forged)
    assert code == 252 and "not a NextToken printed by imageset-search" in err


def test_a_token_whose_item_is_gone_says_the_data_changed(capsys, db):
    with LocalStore(db) as store:
        secret = store.token_secret()
    lost = encode_resume(secret, SCOPE, Position(None, 5, 2, 1))  # a mark no image set has
    code, _, err = command(capsys, db, "--starting-token", lost)
    assert code == 252 and "no longer on its page" in err


def test_page_size_zero_is_a_parameter_error(capsys, db):
    code, _, err = command(capsys, db, "--page-size", 0)
    assert code == 252 and "--page-size" in err


class RepeatingService:
    """A service that answers every page with the token it was sent: the one case no real store here can show."""

    def search_image_sets(self, datastore_id, search_criteria=None, max_results=None, next_token=None):
        return {"imageSetsMetadataSummaries": [{"imageSetId": "a" * 32}], "nextToken": "same"}


def test_a_service_repeating_its_token_stops_the_walk_with_a_service_error():
    service = RepeatingService()
    with pytest.raises(InternalServerException, match="cannot progress"):
        collect(lambda token, size: service.search_image_sets(DATASTORE, None, size, token), Position("same"), None)


def test_a_page_that_shifts_between_runs_resumes_after_the_last_image_set_printed(capsys, tmp_path):
    """The command's token carries the paginator's item mark: an image set updated between two runs moves to the top
    of updatedAt DESC, and the resumed run goes on after the last image set printed, wherever it now stands."""
    from local_instances import make_instance

    path, start = tmp_path / "shifting.sqlite3", datetime(2025, 1, 1, tzinfo=UTC)
    with LocalStore(path) as store:
        store.create_datastore("shifting", DATASTORE)
        for number in range(8):
            store.add_instances(DATASTORE, [make_instance(series=f"1.2.{number}")], now=start + timedelta(hours=number))

    def printed(*args):
        code = main(["search-image-sets", "--db", str(path), "--datastore-id", DATASTORE, *map(str, args)])
        out, err = capsys.readouterr()
        assert code == 0, err
        response = json.loads(out)
        return [summary["imageSetId"] for summary in response["imageSetsMetadataSummaries"]], response.get("NextToken")

    first, token = printed("--max-items", 3, "--page-size", 5)
    with LocalStore(path) as store:
        store.add_instances(DATASTORE, [make_instance(series="1.2.2")], now=start + timedelta(days=1))  # to the top
    rest, token = printed("--starting-token", token, "--page-size", 5)
    assert token is None and not set(first) & set(rest)
    assert len(first) + len(rest) == 8 - 1  # the moved image set now stands before the place: not printed again
