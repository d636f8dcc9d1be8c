"""Exactly once: any walk with any mix of max_items yields every match once, in order (hypothesis, demo datastore)."""

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_helpers import call, service_walk, session, store_summaries, walk

from imageset_search.datastores.local.refined import CAPABILITIES


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


@pytest.fixture(scope="module")
def partial_store(demo_db):
    """The demo store opened again, to declare only some of its capabilities per example (the rest is scanned)."""
    from imageset_search.datastores.local.store import LocalStore

    with LocalStore(demo_db) as store:
        yield store


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
def test_client_side_scans_are_exactly_once(demo_store, partial_store, modality, max_items, budget):
    async def run():
        async with session(partial_store, scan_budget=budget) as client:
            return await walk(client, {"modality": modality, "detail": "full"}, max_items)

    partial_store.capabilities = {}  # nothing searched by the datastore: every summary is checked here
    try:
        assert anyio.run(run) == refined_expectation(demo_store, modality)
    finally:
        partial_store.capabilities = CAPABILITIES


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


REFINEMENT_ARGUMENTS = {
    "modality": st.sampled_from([["CT"], ["MR", "US"], "cr"]),
    "body_part": st.sampled_from(["abdomen", "Chest"]),
    "patient_name": st.sampled_from(["wei okafor", "MURPHY", "kwame"]),
    "study_description": st.sampled_from(["contrast", "w/o", "chest"]),
    "patient_sex": st.sampled_from(["M", "F"]),
    "patient_birth_date": st.sampled_from(["before 1960", {"from": "1950", "to": "1980"}]),
    "is_primary": st.just(True),  # with study_date and a patient, a third filter
    "study_date": st.just("since 1990"),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    arguments=st.fixed_dictionaries({}, optional=REFINEMENT_ARGUMENTS),
    declared=st.sets(st.sampled_from(sorted(CAPABILITIES))),
    max_items=sizes,
    budget=st.integers(min_value=20, max_value=120),
)
def test_walks_mixing_pushed_down_and_scanned_parts_are_exactly_once(
    demo_store, partial_store, arguments, declared, max_items, budget
):
    """Any refinements, any of them searched by the datastore and the rest scanned here: every match once, in order."""
    if arguments.get("is_primary"):
        arguments = dict(arguments, patient_id=store_summaries(demo_store)[0]["DICOMTags"]["DICOMPatientId"])
    partial_store.capabilities = {kind: CAPABILITIES[kind] for kind in declared}

    async def run(store, refinements_budget):
        async with session(store, scan_budget=refinements_budget) as client:
            return await walk(client, dict(arguments, detail="full"), max_items)

    everything_here = {}
    try:
        found = anyio.run(run, partial_store, budget)
        partial_store.capabilities = everything_here
        scanned = anyio.run(run, partial_store, 1000)
    finally:
        partial_store.capabilities = CAPABILITIES
    assert found == scanned
    assert len(set(found)) == len(found)
