"""SearchImageSets on the local store: every validation rule, filters, sorting with ties, inclusive bounds, and
keyset pagination with tokens that are bound, tamper-evident and durable."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from local_instances import make_instance

from imageset_search.datastores.errors import ResourceNotFoundException, ValidationException
from imageset_search.datastores.local.store import LocalStore

T0 = datetime(2024, 3, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)
SECRET = "SECRETPHI"


@pytest.fixture
def store(tmp_path):
    with LocalStore(tmp_path / "store.sqlite3") as opened:
        yield opened


@pytest.fixture
def ds(store):
    return store.create_datastore("search-tests")


def ids_counter(prefix: str = "a"):
    numbers = iter(range(10**6))
    return lambda: f"{prefix}{next(numbers):031d}"


def add(store, ds, *instances, at=T0, new_id=None):
    return store.add_instances(ds, list(instances), now=at, new_id=new_id)


def search_ids(store, ds, criteria=None, **kwargs):
    return [s["imageSetId"] for s in store.search_image_sets(ds, criteria, **kwargs)["imageSetsMetadataSummaries"]]


def equal(attribute, value):
    return {"filters": [{"values": [{attribute: value}], "operator": "EQUAL"}]}


def between(attribute, low, high, sort=None):
    criteria = {"filters": [{"values": [{attribute: low}, {attribute: high}], "operator": "BETWEEN"}]}
    if sort:
        criteria["sort"] = {"sortField": sort[0], "sortOrder": sort[1]}
    return criteria


def study(date, time=None):
    value = {"DICOMStudyDate": date}
    if time is not None:
        value["DICOMStudyTime"] = time
    return value


# -- validation ------------------------------------------------------------------------------------------------------

ONE = [{"DICOMPatientId": "P"}]
INVALID_CRITERIA = [
    ({"filter": []}, "searchCriteria", "filters, sort"),
    ({"filters": []}, "searchCriteria.filters", "leave out 'filters'"),
    ({"filters": [{"values": ONE, "operator": "EQUAL"}] * 3}, "searchCriteria.filters", "between 1 and 2"),
    ({"filters": {"values": ONE}}, "searchCriteria.filters", "list of 1 to 2 filters"),
    ([], "searchCriteria", "object"),
    ({"filters": ["x"]}, "searchCriteria.filters.1", "values and operator"),
    ({"filters": [{"values": ONE, "operator": "EQUAL", "extra": 1}]}, "searchCriteria.filters.1", "'extra'"),
    ({"filters": [{"values": ONE}]}, "searchCriteria.filters.1", "'operator'"),
    ({"filters": [{"operator": "EQUAL"}]}, "searchCriteria.filters.1", "'values'"),
    ({"filters": [{"values": ONE, "operator": "LIKE"}]}, "searchCriteria.filters.1.operator", "[EQUAL, BETWEEN]"),
    ({"filters": [{"values": [], "operator": "EQUAL"}]}, "searchCriteria.filters.1.values", "1 to 2 values"),
    ({"filters": [{"values": ONE * 3, "operator": "EQUAL"}]}, "searchCriteria.filters.1.values", "1 to 2 values"),
    (
        {"filters": [{"values": [{"DICOMPatientId": "a", "DICOMStudyId": "b"}], "operator": "EQUAL"}]},
        "searchCriteria.filters.1.values.1",
        "exactly one of the keys",
    ),
    (
        {"filters": [{"values": [{"DICOMModality": "CT"}], "operator": "EQUAL"}]},
        "searchCriteria.filters.1.values.1",
        "'DICOMModality' is not one",
    ),
    ({"filters": [{"values": [{}], "operator": "EQUAL"}]}, "searchCriteria.filters.1.values.1", "exactly one"),
    ({"filters": [{"values": ["P"], "operator": "EQUAL"}]}, "searchCriteria.filters.1.values.1", "exactly one"),
    (
        {"filters": [{"values": ONE * 2, "operator": "EQUAL"}]},
        "searchCriteria.filters.1.values",
        "exactly 1 value when operator is EQUAL",
    ),
    (
        between("createdAt", 1, 2) | {"filters": [{"values": [{"createdAt": 1}], "operator": "BETWEEN"}]},
        "searchCriteria.filters.1.values",
        "exactly 2 values",
    ),
    (
        {"filters": [{"values": [{"createdAt": 1}, {"updatedAt": 2}], "operator": "BETWEEN"}]},
        "searchCriteria.filters.1.values",
        "same attribute",
    ),
    (between("DICOMPatientId", "a", "b"), "searchCriteria.filters.1.operator", "use EQUAL for DICOMPatientId"),
    (
        between("isPrimary", True, False),
        "searchCriteria.filters.1.operator",
        "only allowed on [createdAt, updatedAt, DICOMStudyDateAndTime]",
    ),
    (
        equal("DICOMPatientId", SECRET * 60),
        "searchCriteria.filters.1.values.1.DICOMPatientId",
        "less than or equal to 512",
    ),
    (equal("DICOMAccessionNumber", 42), "searchCriteria.filters.1.values.1.DICOMAccessionNumber", "must be a string"),
    (
        equal("DICOMStudyInstanceUID", "1.2." + SECRET),
        "searchCriteria.filters.1.values.1.DICOMStudyInstanceUID",
        "[0-9.]+",
    ),
    (equal("DICOMSeriesInstanceUID", ""), "searchCriteria.filters.1.values.1.DICOMSeriesInstanceUID", "[0-9.]+"),
    (equal("DICOMStudyDateAndTime", study("2023-01-15")), "DICOMStudyDateAndTime.DICOMStudyDate", "yyyyMMdd"),
    (equal("DICOMStudyDateAndTime", study("230115")), "DICOMStudyDateAndTime.DICOMStudyDate", "yyyyMMdd"),
    (equal("DICOMStudyDateAndTime", study("20231340")), "DICOMStudyDateAndTime.DICOMStudyDate", "real date"),
    (equal("DICOMStudyDateAndTime", study("20230115", "25:00")), "DICOMStudyDateAndTime.DICOMStudyTime", "HHmmss"),
    (equal("DICOMStudyDateAndTime", study("20230115", "1015")), "DICOMStudyDateAndTime.DICOMStudyTime", "HHmmss"),
    (
        equal("DICOMStudyDateAndTime", study("20230115", "101500.1234567")),
        "DICOMStudyDateAndTime.DICOMStudyTime",
        ".FFFFFF",
    ),
    (equal("DICOMStudyDateAndTime", {"DICOMStudyTime": "101500"}), "DICOMStudyDateAndTime", "'DICOMStudyDate'"),
    (equal("DICOMStudyDateAndTime", {"DICOMStudyDate": "20230115", "Zone": "Z"}), "DICOMStudyDateAndTime", "'Zone'"),
    (equal("DICOMStudyDateAndTime", "20230115"), "DICOMStudyDateAndTime", "must be an object"),
    (
        between("DICOMStudyDateAndTime", study("20230116"), study("20230115", "235959")),
        "searchCriteria.filters.1.values",
        "lower DICOMStudyDateAndTime bound first",
    ),
    (
        between("createdAt", T0, T0 - timedelta(milliseconds=1)),
        "searchCriteria.filters.1.values",
        "lower createdAt bound first",
    ),
    (equal("createdAt", "yesterday"), "searchCriteria.filters.1.values.1.createdAt", "ISO-8601"),
    (equal("updatedAt", True), "searchCriteria.filters.1.values.1.updatedAt", "epoch seconds"),
    (equal("updatedAt", None), "searchCriteria.filters.1.values.1.updatedAt", "epoch seconds"),
    (equal("updatedAt", float("nan")), "searchCriteria.filters.1.values.1.updatedAt", "epoch seconds"),
    (equal("createdAt", 10**20), "searchCriteria.filters.1.values.1.createdAt", "between the years 1 and 9999"),
    (equal("createdAt", "1e400"), "searchCriteria.filters.1.values.1.createdAt", "epoch seconds"),
    (equal("isPrimary", "true"), "searchCriteria.filters.1.values.1.isPrimary", "true or false"),
    ({"sort": {"sortField": "updatedAt"}}, "searchCriteria.sort", "sortOrder is missing"),
    ({"sort": {"sortOrder": "ASC"}}, "searchCriteria.sort", "sortField is missing"),
    (
        {"sort": {"sortField": "patientName", "sortOrder": "ASC"}},
        "searchCriteria.sort.sortField",
        "[updatedAt, createdAt, DICOMStudyDateAndTime]",
    ),
    ({"sort": {"sortField": {"x": 1}, "sortOrder": "ASC"}}, "searchCriteria.sort.sortField", "enum value set"),
    ({"sort": {"sortField": "updatedAt", "sortOrder": "asc"}}, "searchCriteria.sort.sortOrder", "[ASC, DESC]"),
    ({"sort": {"sortField": "updatedAt", "sortOrder": "ASC", "nulls": "first"}}, "searchCriteria.sort", "'nulls'"),
    ({"sort": "updatedAt"}, "searchCriteria.sort", "both sortField and sortOrder"),
    (
        {"filters": [{"values": ONE, "operator": "EQUAL"}, {"values": [{"isPrimary": 1}], "operator": "EQUAL"}]},
        "searchCriteria.filters.2.values.1.isPrimary",
        "boolean",
    ),
]


@pytest.mark.parametrize("criteria, path, allowed", INVALID_CRITERIA)
def test_every_broken_rule_is_a_validation_error_naming_path_and_what_is_allowed(store, ds, criteria, path, allowed):
    with pytest.raises(ValidationException) as caught:
        store.search_image_sets(ds, criteria)
    message = caught.value.message
    assert message.startswith("1 validation error detected: ")
    assert f"at '{path}" in message or f".{path}'" in message
    assert allowed in message
    assert "\n" not in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "kwargs, path, allowed",
    [
        ({"max_results": 0}, "maxResults", "between 1 and 50"),
        ({"max_results": 51}, "maxResults", "between 1 and 50"),
        ({"max_results": "10"}, "maxResults", "integer"),
        ({"max_results": True}, "maxResults", "integer"),
        ({"next_token": ""}, "nextToken", "1 to 8192 ASCII"),
        ({"next_token": "x" * 8193}, "nextToken", "1 to 8192 ASCII"),
        ({"next_token": "tökén"}, "nextToken", "1 to 8192 ASCII"),
        ({"next_token": "x"}, "nextToken", "damaged"),
    ],
)
def test_page_size_and_token_limits(store, ds, kwargs, path, allowed):
    with pytest.raises(ValidationException) as caught:
        store.search_image_sets(ds, **kwargs)
    assert f"at '{path}'" in caught.value.message and allowed in caught.value.message


def test_datastore_id_must_be_well_formed_and_known(store, ds):
    with pytest.raises(ValidationException, match=r"datastoreId.*\[0-9a-z\]\{32\}"):
        store.search_image_sets("NOT-AN-ID")
    unknown = "0" * 32
    with pytest.raises(ResourceNotFoundException) as caught:
        store.search_image_sets(unknown)
    assert unknown in caught.value.message and ds in caught.value.message


def test_validation_happens_before_anything_is_read(store, ds):
    """A broken request fails the same way whether or not the datastore holds data, and changes nothing."""
    add(store, ds, make_instance())
    with pytest.raises(ValidationException):
        store.search_image_sets(ds, {"filters": []})
    assert len(search_ids(store, ds)) == 1


# -- filters ---------------------------------------------------------------------------------------------------------


def test_equal_filters_match_whole_values_exactly(store, ds):
    add(
        store,
        ds,
        make_instance(series="1.1", study="1.9", patient="P1", accession="A1", study_id="S1"),
        new_id=ids_counter("a"),
    )
    add(
        store,
        ds,
        make_instance(series="1.2", study="1.8", patient="P10", accession="a1", study_id="S10"),
        new_id=ids_counter("b"),
    )
    first = "a" + "0" * 31
    assert search_ids(store, ds, equal("DICOMPatientId", "P1")) == [first]
    assert search_ids(store, ds, equal("DICOMAccessionNumber", "A1")) == [first]
    assert search_ids(store, ds, equal("DICOMStudyId", "S1")) == [first]
    assert search_ids(store, ds, equal("DICOMStudyInstanceUID", "1.9")) == [first]
    assert search_ids(store, ds, equal("DICOMSeriesInstanceUID", "1.1")) == [first]
    assert search_ids(store, ds, equal("DICOMPatientId", "P")) == []
    for not_exact in ["p1", "P%", "P_", "P1 ", "*"]:
        assert search_ids(store, ds, equal("DICOMPatientId", not_exact)) == [], not_exact


def test_non_ascii_values_round_trip_and_match(store, ds):
    add(store, ds, make_instance(patient="Ünïcødé-7", DICOMPatientName="Müller^Jürgen"))
    (found,) = store.search_image_sets(ds, equal("DICOMPatientId", "Ünïcødé-7"))["imageSetsMetadataSummaries"]
    assert found["DICOMTags"]["DICOMPatientName"] == "Müller^Jürgen"


def test_an_empty_equal_value_matches_image_sets_without_that_attribute(store, ds):
    add(store, ds, make_instance(series="1.1", accession=None), new_id=ids_counter("a"))
    add(store, ds, make_instance(series="1.2", accession="A"), new_id=ids_counter("b"))
    assert search_ids(store, ds, equal("DICOMAccessionNumber", "")) == ["a" + "0" * 31]


def test_is_primary_filter(store, ds):
    add(store, ds, make_instance(series="1.1", patient="P1"), new_id=ids_counter("a"))
    add(store, ds, make_instance(series="1.1", patient="P2"), new_id=ids_counter("b"))
    assert search_ids(store, ds, equal("isPrimary", True)) == ["a" + "0" * 31]
    assert search_ids(store, ds, equal("isPrimary", False)) == ["b" + "0" * 31]
    assert len(search_ids(store, ds)) == 2


def test_two_filters_and_together_also_on_the_same_attribute(store, ds):
    for n, day in enumerate(["20230101", "20230201", "20230301"]):
        add(
            store,
            ds,
            make_instance(series=f"1.{n}", patient="P1" if n < 2 else "P2", study_date=day),
            new_id=ids_counter(f"{n}"),
        )
    jan_feb = between("DICOMStudyDateAndTime", study("20230101"), study("20230228"))
    feb_mar = between("DICOMStudyDateAndTime", study("20230201"), study("20230331"))
    both = {"filters": jan_feb["filters"] + feb_mar["filters"]}
    assert search_ids(store, ds, both) == ["1" + "0" * 31]
    patient_and_date = {"filters": [equal("DICOMPatientId", "P1")["filters"][0], feb_mar["filters"][0]]}
    assert search_ids(store, ds, patient_and_date) == ["1" + "0" * 31]
    contradictory = {
        "filters": [equal("DICOMPatientId", "P1")["filters"][0], equal("DICOMPatientId", "P2")["filters"][0]]
    }
    assert search_ids(store, ds, contradictory) == []


def test_study_date_and_time_bounds_are_inclusive_and_a_missing_time_is_midnight(store, ds):
    moments = {
        "midnight": ("20230115", "000000"),
        "morning": ("20230115", "101500"),
        "last": ("20230115", "235959.999999"),
        "next": ("20230116", "000000"),
        "later": ("20230116", "000000.5"),
        "undated": (None, None),
    }
    made = {}
    for n, (name, (day, time)) in enumerate(moments.items()):
        made[name] = add(store, ds, make_instance(series=f"1.{n}", study_date=day, study_time=time)).image_set_ids[0]

    def names(criteria):
        found = set(search_ids(store, ds, criteria))
        return {name for name, image_set in made.items() if image_set in found}

    assert names(between("DICOMStudyDateAndTime", study("20230115"), study("20230116"))) == {
        "midnight",
        "morning",
        "last",
        "next",
    }
    assert names(between("DICOMStudyDateAndTime", study("20230115", "101500"), study("20230115", "235959.999999"))) == {
        "morning",
        "last",
    }
    assert (
        names(between("DICOMStudyDateAndTime", study("20230115", "101500.000001"), study("20230115", "235959.99")))
        == set()
    )
    assert names(between("DICOMStudyDateAndTime", study("19000101"), study("29991231"))) == set(moments) - {"undated"}
    assert names(equal("DICOMStudyDateAndTime", study("20230115"))) == {"midnight", "morning", "last"}
    assert names(equal("DICOMStudyDateAndTime", study("20230115", "101500"))) == {"morning"}
    assert names(equal("DICOMStudyDateAndTime", study("20230116", "000000.500000"))) == {"later"}
    assert names(equal("DICOMStudyDateAndTime", study("20230116", ""))) == {"next", "later"}


@pytest.mark.parametrize(
    "as_given",
    [
        lambda moment: moment,
        lambda moment: moment.replace(tzinfo=None),
        lambda moment: moment.astimezone(timezone(timedelta(hours=-5))),
        lambda moment: moment.timestamp(),
        lambda moment: moment.isoformat().replace("+00:00", "Z"),
        lambda moment: moment.astimezone(timezone(timedelta(hours=2))).isoformat(),
        lambda moment: str(moment.timestamp()),
    ],
    ids=["aware", "naive-is-utc", "other-zone", "epoch-float", "iso-z", "iso-offset", "epoch-string"],
)
def test_instant_filters_take_every_form_botocore_takes_and_are_inclusive_at_the_millisecond(store, ds, as_given):
    for n, moment in enumerate([T0 - timedelta(milliseconds=1), T0, T0 + timedelta(milliseconds=1)]):
        add(store, ds, make_instance(series=f"1.{n}"), at=moment, new_id=ids_counter(str(n)))
    exact = "1" + "0" * 31
    for attribute in ("createdAt", "updatedAt"):
        assert search_ids(store, ds, equal(attribute, as_given(T0))) == [exact]
        assert search_ids(store, ds, between(attribute, as_given(T0), as_given(T0))) == [exact]
    epoch_int = search_ids(store, ds, between("createdAt", int(T0.timestamp()), int(T0.timestamp()) + 1))
    assert set(epoch_int) == {"0" + "0" * 31, exact, "2" + "0" * 31}


def test_instant_bounds_exclude_one_millisecond_outside(store, ds):
    add(store, ds, make_instance(), at=T0)
    millisecond = timedelta(milliseconds=1)
    assert search_ids(store, ds, between("updatedAt", T0 + millisecond, T0 + 2 * millisecond)) == []
    assert search_ids(store, ds, between("updatedAt", T0 - 2 * millisecond, T0 - millisecond)) == []
    assert len(search_ids(store, ds, between("updatedAt", T0 - millisecond, T0 + millisecond))) == 1


# -- sorting ---------------------------------------------------------------------------------------------------------


def sorted_corpus(store, ds):
    """Twelve image sets with ties on every sort key; returns {image set id: (createdAt, updatedAt, study key)}."""
    rng = random.Random(3)
    ids = ids_counter("s")
    keys = {}
    for n in range(12):
        created = T0 + timedelta(seconds=rng.randint(0, 3))
        day, time = rng.choice([("20230101", "080000"), ("20230101", "090000"), ("20220101", None), (None, None)])
        instance = make_instance(series=f"1.{n}", study_date=day, study_time=time)
        image_set = add(store, ds, instance, at=created, new_id=ids).image_set_ids[0]
        updated = created
        if rng.random() < 0.5:
            updated = created + timedelta(seconds=rng.randint(0, 2))
            add(store, ds, make_instance(series=f"1.{n}", study_date=day, study_time=time), at=updated)
        study_key = (day or "") + (time or "000000" if day else "")
        keys[image_set] = (created, updated, study_key)
    return keys


@pytest.mark.parametrize("field, position", [("createdAt", 0), ("updatedAt", 1), ("DICOMStudyDateAndTime", 2)])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_every_sort_field_and_order_breaks_ties_by_image_set_id(store, ds, field, position, order):
    keys = sorted_corpus(store, ds)
    expected = sorted(keys, key=lambda image_set: (keys[image_set][position], image_set), reverse=order == "DESC")
    response = store.search_image_sets(ds, {"sort": {"sortField": field, "sortOrder": order}})
    assert [s["imageSetId"] for s in response["imageSetsMetadataSummaries"]] == expected
    assert response["sort"] == {"sortOrder": order, "sortField": field}
    assert len({keys[i][position] for i in expected}) < len(expected), "the corpus must hold ties"


def test_default_sort_is_updated_at_descending_and_is_echoed(store, ds):
    keys = sorted_corpus(store, ds)
    response = store.search_image_sets(ds)
    assert response["sort"] == {"sortOrder": "DESC", "sortField": "updatedAt"}
    assert [s["imageSetId"] for s in response["imageSetsMetadataSummaries"]] == sorted(
        keys, key=lambda i: (keys[i][1], i), reverse=True
    )


def test_image_sets_without_a_study_date_sort_first_ascending_and_last_descending(store, ds):
    dated = add(store, ds, make_instance(series="1.1", study_date="19990101")).image_set_ids[0]
    undated = add(store, ds, make_instance(series="1.2", study_date=None, study_time=None)).image_set_ids[0]
    ascending = {"sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": "ASC"}}
    descending = {"sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": "DESC"}}
    assert search_ids(store, ds, ascending) == [undated, dated]
    assert search_ids(store, ds, descending) == [dated, undated]


# -- pagination ------------------------------------------------------------------------------------------------------


def walk(store, ds, criteria, page_sizes):
    seen, token, sizes = [], None, iter(page_sizes)
    while True:
        response = store.search_image_sets(ds, criteria, max_results=next(sizes), next_token=token)
        seen += [s["imageSetId"] for s in response["imageSetsMetadataSummaries"]]
        token = response.get("nextToken")
        if token is None:
            return seen
        assert len(token) <= 80


@pytest.mark.parametrize(
    "criteria",
    [
        None,
        {"sort": {"sortField": "createdAt", "sortOrder": "ASC"}},
        {"sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": "DESC"}},
        between(
            "DICOMStudyDateAndTime", study("20220101"), study("20230101", "085959"), ("DICOMStudyDateAndTime", "ASC")
        ),
        between("updatedAt", T0, T0 + timedelta(seconds=4), ("updatedAt", "DESC")),
        between("createdAt", T0 + timedelta(seconds=1), T0 + timedelta(seconds=4), ("updatedAt", "ASC")),
    ],
)
def test_walking_pages_of_mixed_sizes_gives_every_image_set_once_in_order(store, ds, criteria):
    sorted_corpus(store, ds)
    everything = search_ids(store, ds, criteria)
    assert everything, "the criteria must match something"
    for seed in range(5):
        rng = random.Random(seed)
        sizes = [rng.choice([1, 2, 3, 5, 50]) for _ in range(len(everything) + 1)]
        assert walk(store, ds, criteria, sizes) == everything


def test_no_next_token_on_the_last_page(store, ds):
    add(store, ds, make_instance(series="1.1"))
    add(store, ds, make_instance(series="1.2"))
    assert "nextToken" not in store.search_image_sets(ds, max_results=2)
    assert "nextToken" in store.search_image_sets(ds, max_results=1)
    assert store.search_image_sets(ds, equal("DICOMPatientId", "nobody")) == {
        "imageSetsMetadataSummaries": [],
        "sort": {"sortOrder": "DESC", "sortField": "updatedAt"},
    }


def first_token(store, ds, criteria=None):
    for n in range(3):
        add(store, ds, make_instance(series=f"1.{n}"), at=T0 + timedelta(seconds=n))
    return store.search_image_sets(ds, criteria, max_results=1)["nextToken"]


@pytest.mark.parametrize(
    "other",
    [
        {"sort": {"sortField": "updatedAt", "sortOrder": "ASC"}},
        {"sort": {"sortField": "createdAt", "sortOrder": "DESC"}},
        equal("isPrimary", True),
        between("updatedAt", T0, T0 + timedelta(days=1)),
    ],
)
def test_a_token_is_bound_to_its_criteria(store, ds, other):
    token = first_token(store, ds)
    with pytest.raises(ValidationException, match="the nextToken was issued for different search criteria"):
        store.search_image_sets(ds, other, next_token=token)


def test_a_token_is_bound_to_its_datastore(store, ds):
    token = first_token(store, ds)
    other = store.create_datastore("other")
    with pytest.raises(ValidationException, match="different search criteria"):
        store.search_image_sets(other, next_token=token)


def test_equivalent_criteria_accept_the_token(store, ds):
    criteria = between("updatedAt", T0, T0 + timedelta(days=1))
    token = first_token(store, ds, criteria)
    same_instants = between("updatedAt", T0.timestamp(), (T0 + timedelta(days=1)).isoformat())
    assert len(search_ids(store, ds, same_instants, next_token=token)) == 2


def test_tampered_truncated_or_foreign_tokens_are_rejected_cleanly(store, ds, tmp_path):
    token = first_token(store, ds)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    foreign_store = LocalStore(tmp_path / "foreign.sqlite3")
    foreign_ds = foreign_store.create_datastore("foreign", datastore_id=ds)
    for n in range(3):
        foreign_store.add_instances(foreign_ds, [make_instance(series=f"1.{n}")])
    foreign = foreign_store.search_image_sets(foreign_ds, max_results=1)["nextToken"]
    foreign_store.close()
    for bad in [flipped, token[:-1], token[:-6], token[: len(token) // 2], token + "A", "!!!!", "AAAA", foreign]:
        with pytest.raises(ValidationException, match="damaged, truncated or from elsewhere"):
            store.search_image_sets(ds, next_token=bad)


def test_a_token_survives_reopening_the_store_and_a_change_of_page_size(tmp_path):
    path = tmp_path / "durable.sqlite3"
    with LocalStore(path) as store:
        ds = store.create_datastore("durable")
        for n in range(5):
            add(store, ds, make_instance(series=f"1.{n}"), at=T0 + timedelta(seconds=n))
        everything = search_ids(store, ds)
        token = store.search_image_sets(ds, max_results=2)["nextToken"]
    with LocalStore(path) as reopened:
        assert search_ids(reopened, ds, max_results=3, next_token=token) == everything[2:]


def test_pages_do_not_shift_when_image_sets_are_added_between_them(store, ds):
    """Keyset paging: a new (newer) image set appears on no later page and pushes nothing onto them twice."""
    for n in range(4):
        add(store, ds, make_instance(series=f"1.{n}"), at=T0 + timedelta(seconds=n))
    before = search_ids(store, ds)
    page = store.search_image_sets(ds, max_results=2)
    add(store, ds, make_instance(series="1.9"), at=T0 + timedelta(seconds=9))
    assert search_ids(store, ds, next_token=page["nextToken"]) == before[2:]


def test_a_narrow_range_reads_its_own_index_and_a_wide_one_the_sort_index(store, ds, monkeypatch):
    from imageset_search.datastores.local import plan
    from imageset_search.datastores.criteria import parse_criteria

    for n in range(6):
        add(store, ds, make_instance(series=f"1.{n}", study_date=f"2023010{n + 1}"))
    monkeypatch.setattr(plan, "RANGE_SCAN_LIMIT", 3)
    narrow = between("DICOMStudyDateAndTime", study("20230101"), study("20230102", "235959.999999"))
    wide = between("DICOMStudyDateAndTime", study("20230101"), study("20231231"))
    patient_and_narrow = {"filters": equal("DICOMPatientId", "PAT-1")["filters"] + narrow["filters"]}
    with store._reading() as connection:
        key = store._ds(connection, ds)
        assert plan.choose_plan(connection, key, parse_criteria(narrow)) == plan.Plan("image_sets_by_study_dt")
        assert plan.choose_plan(connection, key, parse_criteria(wide)) == plan.Plan(
            "image_sets_by_updated", plan.SCAN_BUDGET, "image_sets_by_study_dt"
        )
        assert plan.choose_plan(connection, key, parse_criteria(patient_and_narrow)) == plan.Plan(
            "image_sets_by_patient"
        )
        updated_now = between("updatedAt", datetime.now(timezone.utc), datetime.now(timezone.utc))
        narrow_sort_key_and_wide = parse_criteria({"filters": wide["filters"] + updated_now["filters"]})
        assert plan.choose_plan(connection, key, narrow_sort_key_and_wide) == plan.Plan("image_sets_by_updated")
    assert len(search_ids(store, ds, narrow)) == 2
    assert len(search_ids(store, ds, wide)) == 6
    assert len(search_ids(store, ds, patient_and_narrow)) == 2


def test_every_single_character_change_and_every_truncation_of_a_token_is_refused(store, ds):
    token = first_token(store, ds)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    rng = random.Random(5)
    changed = []
    for position in range(len(token)):
        other = rng.choice([c for c in alphabet if c != token[position]])
        changed.append(token[:position] + other + token[position + 1 :])
    for bad in changed + [token[:cut] for cut in range(1, len(token))]:
        with pytest.raises(ValidationException, match="damaged, truncated or from elsewhere"):
            store.search_image_sets(ds, next_token=bad)
