"""The local datastore searches every refinement itself, exactly as the server's check on each summary would.

Property test: for random refinements (with and without SearchImageSets filters, any sort, any page sizes, and the
planner's limits set so that every way of reading is taken), a token walk of the store with `refinements` equals a
walk without them filtered by the summary-side checks of `tools.refine` (the scan).
"""

import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_instances import make_instance

from imageset_search.datastores.errors import ValidationException
from imageset_search.datastores.local import plan
from imageset_search.datastores.local.store import LocalStore
from imageset_search.tools.refine import Refinements, filter_predicate

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
SCHEMA_3_STORE = Path(__file__).parent / "data" / "stores" / "schema-v3.sqlite3"  # built by the schema-3 code
NAMES = [
    "Jérôme^Dupont", "Jerome^Martin", "Yamada^Tarou=山田^太郎=ﾔﾏﾀﾞ^ﾀﾛｳ", "Hong^Gildong=洪^吉洞=홍^길동",
    "Wang^Xiaodong=王^小东", "Huel628^Melissa844", "Melissa^Smith", "Sørensen^Anne", "Li^小龙", None,
]  # fmt: skip
DESCRIPTIONS = ["IRM cérébrale", "CT CHEST W/O", "Chest_PA", "Brain MRI", "ROUTINE EXAM", None]
MODALITIES = ["CT", "MR", "cr", "US", None]
BODY_PARTS = ["CHEST", "head", "Brain", "ABDOMEN", None]
SEXES = ["M", "F", "O", None]
BIRTHS = ["19400102", "19650317", "19801224", "20010101", None]
PATIENTS = ["P1", "P2", "P3"]
DATES = ["20220101", "20220615", "20230101"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """60 image sets through the import path, some updated later (a name may arrive with a later instance)."""
    rng = random.Random(5)
    store = LocalStore(tmp_path_factory.mktemp("refined") / "store.sqlite3")
    ds = store.create_datastore("refined")
    for n in range(60):
        tags = {
            key: value
            for key, value in {
                "DICOMPatientName": rng.choice(NAMES),
                "DICOMStudyDescription": rng.choice(DESCRIPTIONS),
                "DICOMSeriesModality": rng.choice(MODALITIES),
                "DICOMSeriesBodyPart": rng.choice(BODY_PARTS),
                "DICOMPatientSex": rng.choice(SEXES),
                "DICOMPatientBirthDate": rng.choice(BIRTHS),
            }.items()
            if value is not None
        }
        late_name = tags.pop("DICOMPatientName", None) if rng.random() < 0.2 else None
        place = {
            "series": f"1.{n}",
            "patient": rng.choice(PATIENTS),
            "study": f"2.{n % 9}",
            "study_date": rng.choice(DATES),
        }
        created = T0 + timedelta(seconds=rng.randint(0, 20))
        store.add_instances(ds, [make_instance(**place, **tags)], now=created)
        if late_name:  # a second version fills the name in: its search terms are written then
            store.add_instances(
                ds, [make_instance(**place, DICOMPatientName=late_name)], now=created + timedelta(seconds=9)
            )
    every = walk(store, ds, None, None, [50] * 10)
    yield store, ds, every
    store.close()


def walk(store, ds, criteria, refinements, sizes):
    found, token, sizes = [], None, iter(sizes)
    while True:
        page = store.search_image_sets(ds, criteria, max_results=next(sizes), next_token=token, refinements=refinements)
        found += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            return found


words = st.sampled_from(
    [
        "jerome",
        "JÉRÔME",
        "dupont",
        "melissa",
        "mel huel",
        "ヤマダ",
        "山田太郎",
        "yamada 太郎",
        "홍길동",
        "小东",
        "sorensen",
        "zz",
    ]
    + ["龙", "i小", "i"]
)
refinements = st.fixed_dictionaries(
    {},
    optional={
        "modality": st.lists(st.sampled_from(["CT", "MR", "CR", "US", "XA"]), min_size=1, max_size=3).map(tuple),
        "body_part": st.sampled_from(["chest", "HEAD", "brain", "Knee"]),
        "patient_name": words,
        "study_description": st.sampled_from(["cerebrale", "CHEST", "chest pa", "mri", "r", "ct", "xyz"]),
        "patient_sex": st.sampled_from(["M", "F", "O"]),
        "birth_date": st.tuples(
            st.sampled_from([None, "19500101", "19650317"]), st.sampled_from([None, "19801224", "19991231"])
        ),
    },
)
filters = st.sampled_from(
    [
        None,
        {"values": [{"DICOMPatientId": "P2"}], "operator": "EQUAL"},
        {"values": [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "20220101"}},
                    {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20220615"}}], "operator": "BETWEEN"},
        {"values": [{"isPrimary": True}], "operator": "EQUAL"},
    ]
)  # fmt: skip
sorts = st.sampled_from([None, ("updatedAt", "ASC"), ("createdAt", "DESC"), ("DICOMStudyDateAndTime", "ASC")])


@pytest.mark.parametrize(
    "range_scan_limit, scan_budget",
    [(10_000, 20_000), (3, 20_000), (3, 2)],
    ids=["narrow-read-on-their-index", "wide-checked-in-sort-order", "budget-runs-out-and-falls-back"],
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chosen=refinements,
    search_filter=filters,
    extra=filters,
    sort=sorts,
    sizes=st.lists(st.integers(1, 50), min_size=70, max_size=70),
)
def test_a_refined_walk_equals_the_scan(
    corpus, monkeypatch, range_scan_limit, scan_budget, chosen, search_filter, extra, sort, sizes
):
    monkeypatch.setattr(plan, "RANGE_SCAN_LIMIT", range_scan_limit)
    monkeypatch.setattr(plan, "SCAN_BUDGET", scan_budget)
    store, ds, _ = corpus
    criteria = {}
    if search_filter:
        criteria["filters"] = [search_filter]
    if sort:
        criteria["sort"] = {"sortField": sort[0], "sortOrder": sort[1]}
    parts = Refinements(**chosen).parts()
    pushed = {part.kind: part.value for part in parts}
    checks = [part.check for part in parts]
    if extra:
        pushed["extra_filters"] = [extra]
        checks.append(filter_predicate(next(iter(extra["values"][0])), extra))
    scanned = [s["imageSetId"] for s in walk(store, ds, criteria or None, None, [50] * 10) if all(c(s) for c in checks)]
    assert [s["imageSetId"] for s in walk(store, ds, criteria or None, pushed or None, sizes)] == scanned


def test_the_corpus_is_varied_enough_to_mean_something(corpus):
    _, _, every = corpus
    names = {s["DICOMTags"].get("DICOMPatientName") for s in every}
    assert len(every) == 60 and len(names) == len(NAMES)


def test_a_token_continues_only_the_refinements_it_was_issued_for(corpus):
    store, ds, _ = corpus
    first = store.search_image_sets(ds, max_results=2, refinements={"patient_sex": "F"})
    with pytest.raises(ValidationException, match="nextToken"):
        store.search_image_sets(ds, max_results=2, next_token=first["nextToken"], refinements={"patient_sex": "M"})
    with pytest.raises(ValidationException, match="nextToken"):
        store.search_image_sets(ds, max_results=2, next_token=first["nextToken"])


@pytest.mark.parametrize(
    "refinements, words",
    [
        ({"hair_colour": "red"}, "does not search the refinement 'hair_colour'"),
        ({"modality": "CT"}, "list of modality codes"),
        ({"patient_birth_date": ["1950", None]}, "yyyyMMdd"),
        ({"patient_name": " ^ "}, "at least one word"),
        ({"extra_filters": [{"values": [{"isPrimary": "yes"}], "operator": "EQUAL"}]}, "refinements.extra_filters.1"),
    ],
)
def test_bad_refinements_are_refused_with_what_to_send(corpus, refinements, words):
    store, ds, _ = corpus
    with pytest.raises(ValidationException, match=words):
        store.search_image_sets(ds, refinements=refinements)


def test_a_store_written_by_the_schema_3_code_is_migrated_and_searched_natively(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(SCHEMA_3_STORE, path)
    with LocalStore(path) as store:
        ds = store.resolve_datastore("old")

        def names(**refinements):
            found = walk(store, ds, None, refinements, [3] * 10)
            return sorted({s["DICOMTags"]["DICOMPatientName"].split("^")[0] for s in found})

        assert names(patient_name="Jerome") == ["Jérôme"]
        assert names(patient_name="홍길동") == ["Hong"]
        assert names(patient_name="王小东") == ["Wang"]
        assert names(patient_name="ヤマダ") == ["Yamada"]
        assert names(patient_name="Yamada 太郎") == []  # the words are in two = groups: decided by name_matches
        assert names(study_description="CEREBRALE") == ["Jérôme"]
        assert names(study_description="chest") == ["Hong", "Yamada"]
        assert names(modality=["MR"], body_part="head") == ["Jérôme"]
        assert names(patient_sex="F", patient_birth_date=[None, "19500101"]) == ["Wang"]


def test_the_plan_reads_rare_matches_on_their_index_and_common_ones_in_order(corpus, monkeypatch):
    from imageset_search.datastores.criteria import parse_criteria
    from imageset_search.datastores.local.refined import refine

    store, ds, _ = corpus
    bounds = [
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20220101"}},
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": "20231231"}},
    ]
    year = {"filters": [{"values": bounds, "operator": "BETWEEN"}]}
    with store._reading() as connection:
        key = store._ds(connection, ds)

        def chosen(criteria, refinements):
            return plan.choose_plan(connection, key, refine(parse_criteria(criteria), refinements))

        assert chosen(None, {"patient_name": "홍길동"}) == plan.Plan("image_sets_by_name")
        assert chosen(None, {"study_description": "cerebrale"}) == plan.Plan("image_sets_by_description")
        assert chosen(None, {"modality": ["CT"]}) == plan.Plan("image_sets_by_modality")
        monkeypatch.setattr(plan, "RANGE_SCAN_LIMIT", 3)
        wide = plan.Plan("image_sets_by_updated", plan.SCAN_BUDGET, "image_sets_by_modality")
        assert chosen(None, {"modality": ["CT"]}) == wide  # many: checked on the sort index read in order
        both = plan.Plan("image_sets_by_updated", plan.SCAN_BUDGET // 4, "image_sets_by_study_dt")
        assert chosen(year, {"modality": ["CT", "MR"]}) == both  # the range's index carries modality: the fallback
        one = plan.Plan("image_sets_by_modality", plan.SCAN_BUDGET, "image_sets_by_study_dt")
        assert chosen(year, {"modality": ["CT"]}) == one  # one code: its own index, in updatedAt order


def test_deleting_a_datastore_forgets_its_names_and_descriptions(tmp_path):
    with LocalStore(tmp_path / "store.sqlite3") as store:
        kept, dropped = store.create_datastore("kept"), store.create_datastore("dropped")
        store.add_instances(
            kept, [make_instance(series="1.1", DICOMPatientName="Doe^Jane", DICOMStudyDescription="CT")]
        )
        store.add_instances(
            dropped, [make_instance(series="1.2", DICOMPatientName="Roe^Rick", DICOMStudyDescription="MR brain")]
        )
        store.delete_datastore(dropped)
        with store._reading() as connection:
            assert connection.execute("SELECT name FROM names").fetchall() == [("Doe^Jane",)]
            assert {term for (term,) in connection.execute("SELECT term FROM name_terms")} == {"doe", "jane", "doejane"}
            assert connection.execute("SELECT text FROM descriptions").fetchall() == [("ct",)]
            assert (
                connection.execute(
                    "SELECT rowid FROM description_words WHERE description_words MATCH 'brain'"
                ).fetchall()
                == []
            )
        assert len(walk(store, kept, None, {"patient_name": "jane", "study_description": "c"}, [50])) == 1
