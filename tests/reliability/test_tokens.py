"""1,000 next_tokens that are not what the tool issued for this call: each refused in words, none returns results.

Real tokens are taken from several searches, then damaged by a seeded generator: one character changed, added or
removed, truncated, two swapped; or sent back with other criteria or another datastore; or foreign: issued by
another datastore file, botocore's resume tokens, the datastore's own raw nextToken, random text. A change that
decodes to the very same bytes (base64's spare bits, surrounding blanks) is the same token, so it is not counted.
"""

import base64
import json
import random

import pytest
from mcp_helpers import call, session

from conftest import DEMO_DATASTORE_ID, DEMO_TODAY
from reliability.answers import problem

pytestmark = pytest.mark.anyio

COUNT = 1_000
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SEARCHES = (
    {"study_date": "since 1990", "max_items": 3},
    {"max_items": 7, "detail": "full"},
    {"modality": "CT", "max_items": 2},
    {"search_criteria": {"sort": {"sortField": "createdAt", "sortOrder": "ASC"}}, "max_items": 50},
    {"patient_sex": "F", "study_date": "1990s", "created": "since 2019", "max_items": 1},
)
OTHER_CRITERIA = (
    {"patient_id": "SUBJECT08701"},
    {"study_date": "last March"},
    {"modality": "MR"},
    {"search_criteria": {"filters": [{"values": [{"isPrimary": True}], "operator": "EQUAL"}]}},
    {"sort_order": "ASC"},
    {"datastore_id": "0" * 32},
)


def raw(token: str) -> bytes:
    """The bytes a token stands for, as the tool reads it (blanks around it ignored, padding optional)."""
    text = token.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return b"not base64: " + text.encode("utf-8", "replace")


async def issued_tokens(client) -> list[tuple[dict, str]]:
    """(the search, a next_token it returned) for the first two pages of each search that has them."""
    found = []
    for arguments in SEARCHES:
        content, text, is_error = await call(client, arguments)
        for _page in range(2):
            assert not is_error, text
            if not content.get("next_token"):
                break
            found.append((arguments, content["next_token"]))
            content, text, is_error = await call(client, {"next_token": content["next_token"]})
    return found


def names_the_token(text: str) -> bool:
    """The refusal says the token is what is wrong (the datastore's own message calls it nextToken)."""
    return "next_token" in text or "nextToken" in text


def first_page(token: str, store) -> bool:
    """Whether the token resumes inside the first service page (it then holds no datastore-issued token)."""
    from imageset_search.tools.tokens import decode

    return decode(store.token_secret(), token)[2].service_token is None


class Damage:
    """Seeded ways to spoil a token; each returns (how, arguments of the call)."""

    def __init__(self, tokens: list[tuple[dict, str]], foreign: list[str], seed: int = 7):
        self.tokens, self.foreign = tokens, foreign
        self.random = random.Random(seed)

    def one(self) -> tuple[str, dict]:
        arguments, token = self.random.choice(self.tokens)
        how = self.random.choice(("changed", "added", "removed", "truncated", "swapped", "other criteria", "foreign"))
        if how == "other criteria":
            return how, dict(self.random.choice(OTHER_CRITERIA), next_token=token)
        if how == "foreign":
            return how, {"next_token": self.random.choice(self.foreign)}
        return how, {"next_token": getattr(self, f"_{how}")(token)}

    def _changed(self, token: str) -> str:
        at = self.random.randrange(len(token))
        return token[:at] + self.random.choice(ALPHABET.replace(token[at], "")) + token[at + 1 :]

    def _added(self, token: str) -> str:
        at = self.random.randrange(len(token) + 1)
        return token[:at] + self.random.choice(ALPHABET + "=+/. ") + token[at:]

    def _removed(self, token: str) -> str:
        at = self.random.randrange(len(token))
        return token[:at] + token[at + 1 :]

    def _truncated(self, token: str) -> str:
        return token[: self.random.randrange(1, len(token))]

    def _swapped(self, token: str) -> str:
        first, second = sorted(self.random.sample(range(len(token)), 2))
        return token[:first] + token[second] + token[first + 1 : second] + token[first] + token[second + 1 :]


@pytest.fixture(scope="module")
def other_file_tokens(tmp_path_factory) -> list[str]:
    """Tokens of a datastore with the demo's id in another file: same tool, another secret."""
    from imageset_search.datastores.local.demo import build_demo
    from imageset_search.datastores.local.store import LocalStore

    store = LocalStore(tmp_path_factory.mktemp("other") / "other.sqlite3")
    store.capabilities = {}  # refinements scanned here: a first page's token holds no service token of its own
    build_demo(store, image_sets=40, seed=5, today=DEMO_TODAY)
    service = store.search_image_sets(DEMO_DATASTORE_ID, None, max_results=2)["nextToken"]
    yield [service], store
    store.close()


def foreign_tokens(service_tokens: list[str], tool_tokens: list[str]) -> list[str]:
    boto = base64.b64encode(json.dumps({"nextToken": service_tokens[0], "boto_truncate_amount": 1}).encode()).decode()
    return [
        *service_tokens,
        *tool_tokens,
        boto,
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "A",
        "AAAA" * 40,
        base64.urlsafe_b64encode(bytes(range(256))).decode(),
        "   ",
        "null",
        "%00%0a",
        "../../etc/passwd",
        "Z" * 8192,
    ]


async def test_a_thousand_damaged_replayed_and_foreign_tokens_are_all_refused(demo_store, other_file_tokens):
    other_service, other_store = other_file_tokens
    async with session(other_store) as other:
        other_tool = [token for _, token in await issued_tokens(other) if not first_page(token, other_store)]
    assert other_tool
    async with session(demo_store) as client:
        tokens = await issued_tokens(client)
        originals = {raw(token) for _, token in tokens}
        own_service = demo_store.search_image_sets(DEMO_DATASTORE_ID, None, max_results=2)["nextToken"]
        damage = Damage(tokens, foreign_tokens([own_service, *other_service], other_tool))
        tried, wrong = 0, []
        while tried < COUNT:
            how, arguments = damage.one()
            if how != "other criteria" and raw(arguments["next_token"]) in originals:
                continue  # the same token spelt another way
            tried += 1
            result = await client.call_tool("search_image_sets", arguments)
            found = "accepted" if not result.is_error else problem("search_image_sets", result)
            if not found and not names_the_token(result.content[0].text):
                found = "refused without naming the token"
            if found:
                wrong.append(f"{how}: {found}: {arguments}")
    assert not wrong, f"{len(wrong)} of {COUNT} not refused properly:\n" + "\n".join(wrong[:20])


async def test_the_undamaged_tokens_do_continue(demo_store):
    """Guards the test above: the tokens it damages are good ones, so refusing them is the damage's doing."""
    async with session(demo_store) as client:
        tokens = await issued_tokens(client)
        assert len(tokens) == 2 * len(SEARCHES)
        for arguments, token in tokens:
            content, text, is_error = await call(client, {"next_token": token})
            assert not is_error and content["count"] > 0, text


async def test_a_first_page_token_of_another_file_with_the_same_datastore_id_is_refused(demo_store, other_file_tokens):
    _, other_store = other_file_tokens
    async with session(other_store) as other:
        content, text, is_error = await call(other, {"modality": "CT", "max_items": 2})
    assert not is_error and first_page(content["next_token"], other_store), text
    async with session(demo_store) as client:
        _, text, is_error = await call(client, {"next_token": content["next_token"]})
    assert is_error and names_the_token(text), text[:200]
