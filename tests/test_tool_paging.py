"""Exactly once: any walk with any mix of max_items yields every match once, in order (hypothesis, demo datastore)."""

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_helpers import call, service_walk, session, store_summaries, walk


QUERIES = [
    ({}, None),
    ({"sort_by": "study_date", "sort_order": "ASC"},
     {"sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": "ASC"}}),
    ({"study_date": {"from": "1995-01-01", "to": "2015-12-31"}},
     {"filters": [{"values": [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "19950101", "DICOMStudyTime": "000000"}},
                              {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20151231",
                                                         "DICOMStudyTime": "235959.999999"}}],
                   "operator": "BETWEEN"}]}),
    ({"is_primary": True, "sort_by": "created", "sort_order": "asc"},
     {"filters": [{"values": [{"isPrimary": True}], "operator": "EQUAL"}],
      "sort": {"sortField": "createdAt", "sortOrder": "ASC"}}),
]  # fmt: skip


def refined_expectation(store, modality: str) -> list[str]:
    return [s["imageSetId"] for s in store_summaries(store) if s["DICOMTags"].get("DICOMSeriesModality") == modality]


sizes = st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=50)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.sampled_from(QUERIES), max_items=sizes)
def test_service_side_walks_are_exactly_once(demo_store, query, max_items):
    arguments, criteria = query

    async def run():
        async with session(demo_store) as client:
            return await walk(client, dict(arguments, detail="full"), max_items)

    assert anyio.run(run) == service_walk(demo_store, criteria)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(modality=st.sampled_from(["CT", "MR", "US"]), max_items=sizes, budget=st.integers(min_value=20, max_value=120))
def test_client_side_scans_are_exactly_once(demo_store, modality, max_items, budget):
    async def run():
        async with session(demo_store, scan_budget=budget) as client:
            return await walk(client, {"modality": modality, "detail": "full"}, max_items)

    assert anyio.run(run) == refined_expectation(demo_store, modality)


def test_a_page_that_shifts_between_calls_resumes_after_the_last_item_delivered(tmp_path):
    """An image set updated between two calls moves to the top of updatedAt DESC: the resumed page is re-read, and
    the walk goes on after the last image set delivered, wherever it now stands, with no repeat."""
    from datetime import datetime, timedelta, timezone

    from local_instances import make_instance

    from imageset_search.datastores.local.store import LocalStore

    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with LocalStore(tmp_path / "store.sqlite3") as store:
        ds = store.create_datastore("shifting")
        for number in range(8):
            store.add_instances(ds, [make_instance(series=f"1.2.{number}")], now=start + timedelta(hours=number))

        async def run():
            async with session(store) as client:
                first, _, _ = await call(client, {"detail": "full", "max_items": 3})
                store.add_instances(ds, [make_instance(series="1.2.2")], now=start + timedelta(days=1))  # to the top
                rest = await walk(client, {"next_token": first["next_token"]}, [50])
                return [item["imageSetId"] for item in first["image_sets"]], rest

        delivered, rest = anyio.run(run)
    assert not set(delivered) & set(rest)
    assert len(delivered) + len(rest) == 8 - 1  # the moved image set now stands before the place: not seen again


async def continue_alone(store, first_call: dict, *more: dict) -> list[dict]:
    """The first call's result, then each further call's, each sending next_token with only what `more` adds."""
    async with session(store) as client:
        content, text, is_error = await call(client, first_call)
        results = [content]
        for extra in more:
            assert not is_error and content["next_token"], text
            content, text, is_error = await call(client, {"next_token": content["next_token"], **extra})
            results.append(content)
    assert not is_error, text
    return results


def test_a_continuation_keeps_max_items_and_detail_of_the_call_that_issued_it(demo_store):
    first, second, third = anyio.run(continue_alone, demo_store, {"max_items": 3, "detail": "full"}, {}, {})
    assert [result["count"] for result in (first, second, third)] == [3, 3, 3]
    assert all("image_sets" in result and "studies" not in result for result in (second, third))


def test_a_continuation_keeps_the_fields_of_the_call_that_issued_it(demo_store):
    fields = ["image_set_id", "patient_id"]
    _, second = anyio.run(continue_alone, demo_store, {"max_items": 4, "fields": fields}, {})
    assert second["count"] == 4
    for study in second["studies"]:
        assert set(study) <= {"patient_id", "image_sets"}
        assert all(set(image_set) == {"image_set_id"} for image_set in study["image_sets"])


def test_what_a_continuation_names_again_holds_from_then_on(demo_store):
    results = anyio.run(continue_alone, demo_store, {"max_items": 3}, {"max_items": 5, "detail": "full"}, {})
    assert [result["count"] for result in results] == [3, 5, 5]
    assert "studies" in results[0] and "image_sets" in results[2]
