"""Whole tool walks on the AWS backend while the service misbehaves: each ends exactly once, or stops cleanly.

The MCP tool runs on AwsDatastore (real boto3, one attempt per request, so every fault reaches the tool) against
the local HealthImaging endpoint, which throttles, fails with 500 or 503, drops connections or hangs past the read
timeout for a seeded share of requests. A driver walks like a patient model: a partial result must carry its
results so far, a warning and a next_token; a refusal must say what to do, and the driver then repeats the same
call. Joined up, the walk must equal the walk on a healthy service: every image set once, in order.
"""

import pytest
from endpoint_fixtures import aws_env, endpoint, running_endpoint  # noqa: F401
from mcp_helpers import session

from conftest import DEMO_DATASTORE_ID
from imageset_search.datastores.aws.datastore import AwsDatastore
from imageset_search.datastores.testbed.faults import Faults, RequestRule
from reliability.answers import problem

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

WALKS = {
    "service filter": ({"study_date": "since 1990", "detail": "full"}, (17, 50, 4)),
    "client-side match": ({"modality": "CT", "detail": "full"}, (50, 7)),  # 50 CT: one call reads several pages
}
SOME = RequestRule(share=0.25, numbers=frozenset({3}))  # a seeded quarter of requests, and surely the third
FAULTS = {
    "throttle": dict(throttle=SOME),
    "500": dict(fail=SOME, fail_kind="error"),
    "503": dict(fail=SOME, fail_kind="unavailable"),
    "dropped connection": dict(fail=SOME, fail_kind="drop"),
    "read timeout": dict(fail=RequestRule(share=0.1, numbers=frozenset({3})), fail_kind="hang", hang_seconds=5),
}
MAX_CALLS = 300
READ_TIMEOUT = 1.0  # seconds: a hung request fails fast, while a slow answer on a busy machine still arrives


class Walk:
    """One walk through the tool, joined across interruptions; notes every partial result and refusal."""

    def __init__(self, client, arguments: dict, sizes: tuple[int, ...]):
        self.client, self.arguments, self.sizes = client, arguments, sizes
        self.ids: list[str] = []
        self.partials = self.refusals = self.calls = 0
        self.wrong: list[str] = []

    async def run(self) -> list[str]:
        token, turn = None, 0
        while self.calls < MAX_CALLS:
            size = self.sizes[turn % len(self.sizes)]
            arguments = {"next_token": token, "max_items": size} if token else dict(self.arguments, max_items=size)
            self.calls += 1
            result = await self.client.call_tool("search_image_sets", arguments)
            if result.is_error:
                self.refused(result)
                continue  # the same call again, as the refusal says
            turn += 1
            content = result.structured_content
            self.ids += [item["imageSetId"] for item in content.get("image_sets", [])]
            self.check_partial(content)
            token = content.get("next_token")
            if not token:
                return self.ids
        raise AssertionError(f"the walk did not end in {MAX_CALLS} calls")

    def refused(self, result) -> None:
        self.refusals += 1
        text = result.content[0].text
        if problem("search_image_sets", result) or not ("again" in text or "retry" in text):
            self.wrong.append(f"refusal without a next step: {text}")

    def check_partial(self, content: dict) -> None:
        if not any("failed part-way" in warning for warning in content.get("warnings", [])):
            return
        self.partials += 1
        if not (content["has_more"] and content.get("next_token") and content["count"] > 0):
            self.wrong.append(f"a partial result without results or a token: {content}")


def faulty_aws(endpoint) -> AwsDatastore:
    """The AWS backend with one attempt per request and a short read timeout, scanning SearchImageSets pages only:
    these walks test the scan through faults, in the service's one sort order. (With QIDO-RS, a modality search goes
    study by study instead; tests/test_aws_qido_path.py walks that path.)"""
    return AwsDatastore(
        endpoint_url=endpoint.url, region="us-east-1", max_attempts=1, read_timeout=READ_TIMEOUT, qido=False
    )


async def healthy_walk(store, arguments, sizes) -> list[str]:
    async with session(store) as client:
        return await Walk(client, arguments, sizes).run()


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("walk", list(WALKS))
async def test_a_walk_through_faults_is_exactly_once_or_stops_with_a_token(demo_store, endpoint, aws_env, walk, fault):
    arguments, sizes = WALKS[walk]
    expected = await healthy_walk(demo_store, arguments, sizes)
    aws = faulty_aws(endpoint)
    endpoint.faults = Faults(seed=len(walk) * 31 + len(fault), **FAULTS[fault])
    async with session(aws) as client:
        driver = Walk(client, arguments, sizes)
        found = await driver.run()
    assert driver.wrong == []
    assert found == expected, f"{len(found)} ids, {len(set(found))} distinct; expected {len(expected)}"
    assert endpoint.faults.injected > 0 and driver.partials + driver.refusals > 0, "no fault reached the tool"


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_fault_after_the_first_page_of_a_call_gives_the_results_so_far_a_warning_and_a_token(
    demo_store, endpoint, aws_env, fault
):
    """With the datastore named, request 1 is a call's first page and request 2 its second: only the second fails."""
    arguments, sizes = dict(WALKS["client-side match"][0], datastore_id=DEMO_DATASTORE_ID), (50,)
    expected = await healthy_walk(demo_store, arguments, sizes)
    aws = faulty_aws(endpoint)
    second = {name: "2" if isinstance(rule, RequestRule) else rule for name, rule in FAULTS[fault].items()}
    endpoint.faults = Faults(**second)
    async with session(aws) as client:
        driver = Walk(client, arguments, sizes)
        found = await driver.run()
    assert driver.wrong == [] and (driver.partials, driver.refusals) == (1, 0)
    assert found == expected
