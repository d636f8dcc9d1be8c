"""Property test: for random criteria, a full token walk of the local store equals a plain-Python reference search."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_instances import make_instance

from imageset_search.datastores.local import plan
from imageset_search.datastores.local.store import LocalStore

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
PATIENTS = ["P1", "P2", "P3"]
DATES = [None, "20220101", "20220615", "20230101"]
TIMES = [None, "080000", "235959.999999"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """40 image sets with few distinct values (so filters overlap and sort keys tie), and their reference rows."""
    rng = random.Random(11)
    store = LocalStore(tmp_path_factory.mktemp("model") / "store.sqlite3")
    ds = store.create_datastore("model")
    for n in range(40):
        patient, day, time = rng.choice(PATIENTS), rng.choice(DATES), rng.choice(TIMES)
        series = f"1.{n % 30}"  # some series repeat: later ones conflict and become non-primary sets
        created = T0 + timedelta(seconds=rng.randint(0, 5))
        instance = make_instance(series=series, patient=patient, study=f"2.{n % 7}", study_date=day, study_time=time)
        store.add_instances(ds, [instance], now=created)
        if rng.random() < 0.4:  # a second version, updated later (or at the same second: a tie)
            again = make_instance(series=series, patient=patient, study=f"2.{n % 7}", study_date=day, study_time=time)
            store.add_instances(ds, [again], now=created + timedelta(seconds=rng.randint(0, 3)))
    rows = [reference_row(s) for s in walk(store, ds, None, [50] * 10)]
    assert len(rows) > 30 and not all(r["isPrimary"] for r in rows)
    yield store, ds, rows
    store.close()


def reference_row(summary):
    tags = summary["DICOMTags"]
    day = tags.get("DICOMStudyDate")
    whole, _, fraction = (tags.get("DICOMStudyTime") or "").partition(".")
    return {
        "id": summary["imageSetId"],
        "createdAt": summary["createdAt"],
        "updatedAt": summary["updatedAt"],
        "isPrimary": summary["isPrimary"],
        "DICOMPatientId": tags.get("DICOMPatientId", ""),
        "DICOMStudyInstanceUID": tags.get("DICOMStudyInstanceUID", ""),
        "DICOMSeriesInstanceUID": tags["DICOMSeriesInstanceUID"],
        "DICOMStudyDateAndTime": day + whole.ljust(6, "0") + fraction.ljust(6, "0") if day else "",
    }


def walk(store, ds, criteria, sizes):
    found, token, sizes = [], None, iter(sizes)
    while True:
        page = store.search_image_sets(ds, criteria, max_results=next(sizes), next_token=token)
        found += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            return found


def study_bound(day, time):
    value = {"DICOMStudyDate": day}
    if time:
        value["DICOMStudyTime"] = time
    return value


def study_key(day, time):
    whole, _, fraction = (time or "").partition(".")
    return day + whole.ljust(6, "0") + fraction.ljust(6, "0")


instants = st.integers(0, 9).map(lambda s: T0 + timedelta(seconds=s))
filters = st.one_of(
    st.tuples(st.sampled_from(["DICOMPatientId"]), st.sampled_from(PATIENTS + ["P9"])).map(
        lambda a: ({"values": [{a[0]: a[1]}], "operator": "EQUAL"}, lambda r: r[a[0]] == a[1])
    ),
    st.sampled_from([f"2.{n}" for n in range(8)]).map(
        lambda uid: (
            {"values": [{"DICOMStudyInstanceUID": uid}], "operator": "EQUAL"},
            lambda r: r["DICOMStudyInstanceUID"] == uid,
        )
    ),
    st.booleans().map(lambda b: ({"values": [{"isPrimary": b}], "operator": "EQUAL"}, lambda r: r["isPrimary"] is b)),
    st.tuples(st.sampled_from(["createdAt", "updatedAt"]), instants, instants).map(
        lambda a: (
            {"values": [{a[0]: min(a[1], a[2])}, {a[0]: max(a[1], a[2])}], "operator": "BETWEEN"},
            lambda r: min(a[1], a[2]) <= r[a[0]] <= max(a[1], a[2]),
        )
    ),
    st.tuples(st.sampled_from(DATES[1:]), st.sampled_from(TIMES), st.sampled_from(DATES[1:]), st.sampled_from(TIMES))
    .filter(lambda a: study_key(a[0], a[1]) <= study_key(a[2], a[3]))
    .map(
        lambda a: (
            {
                "values": [
                    {"DICOMStudyDateAndTime": study_bound(a[0], a[1])},
                    {"DICOMStudyDateAndTime": study_bound(a[2], a[3])},
                ],
                "operator": "BETWEEN",
            },
            lambda r: (
                r["DICOMStudyDateAndTime"] != ""
                and study_key(a[0], a[1]) <= r["DICOMStudyDateAndTime"] <= study_key(a[2], a[3])
            ),
        )
    ),
)
sorts = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["updatedAt", "createdAt", "DICOMStudyDateAndTime"]), st.sampled_from(["ASC", "DESC"])),
)


@pytest.mark.parametrize(
    "range_scan_limit, scan_budget",
    [(3000, 20_000), (4, 20_000), (4, 3)],
    ids=["narrow-ranges-read-their-index", "wide-ranges-read-the-sort-index", "budget-runs-out-and-falls-back"],
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=st.lists(filters, min_size=0, max_size=2),
    sort=sorts,
    sizes=st.lists(st.integers(1, 50), min_size=45, max_size=45),
)
def test_a_token_walk_equals_the_reference_search(
    corpus, monkeypatch, range_scan_limit, scan_budget, chosen, sort, sizes
):
    monkeypatch.setattr(plan, "RANGE_SCAN_LIMIT", range_scan_limit)
    monkeypatch.setattr(plan, "SCAN_BUDGET", scan_budget)
    store, ds, rows = corpus
    criteria = {}
    if chosen:
        criteria["filters"] = [f for f, _ in chosen]
    field, order = sort or ("updatedAt", "DESC")
    if sort:
        criteria["sort"] = {"sortField": field, "sortOrder": order}
    matching = [r for r in rows if all(match(r) for _, match in chosen)]
    expected = [r["id"] for r in sorted(matching, key=lambda r: (r[field], r["id"]), reverse=order == "DESC")]
    assert [s["imageSetId"] for s in walk(store, ds, criteria or None, sizes)] == expected
