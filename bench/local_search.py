"""Benchmark the local datastore's SearchImageSets at scale, and the DICOM import rate next to plain pydicom's.

    python bench/local_search.py --image-sets 1000000 [--db PATH] [--queries 100] [--deep-samples 20]
        [--import-files 2000]

Builds (or reuses, cached under bench/.cache/) a store of N image sets with a direct bulk generator: patients with
1-4 studies, 1-8 series per study, a few non-primary sets, study dates from 1995 to today, createdAt over the last
five years and about a third of the image sets updated later, uneven names (some accented or CJK), sixteen study
descriptions. Then measures, for a 50-item page of each query shape, p50 and p95 latency in ms over different values;
each refinement the store searches itself (modality, body part, name, description, sex, birth date) alone, with a
one-year study-date window and with a patient id, at page 1 and page 100; the latency of page 2,000 (walked with
tokens) over page 1's; and the import rate in files/s against pydicom's header-read rate on the same files
(bench/import_rate.py, which also measures it alone and on a real-world corpus). Prints one JSON object last.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from import_rate import demo_rate

from imageset_search.datastores.errors import ResourceNotFoundException
from imageset_search.datastores.testbed.bulk import BulkImageSet, load_image_sets
from imageset_search.datastores.instants import to_millis
from imageset_search.datastores.local.schema import SCHEMA_VERSION
from imageset_search.datastores.local.store import LocalStore

CACHE = Path(__file__).resolve().parent / ".cache"
DATASTORE = "bench"
DEEP_PAGE = 2000
PAGE = 50
DAY_MS = 86_400_000
MODALITIES = [
    ("CT", "CHEST"), ("CT", "HEAD"), ("CT", "ABDOMEN"), ("MR", "HEAD"), ("MR", "KNEE"), ("MR", "LSPINE"),
    ("CR", "CHEST"), ("US", "ABDOMEN"), ("PT", "WHOLEBODY"), ("MG", "BREAST"), ("XA", "HEART"), ("NM", "BONE"),
]  # fmt: skip
DESCRIPTIONS = [
    "CT HEAD W/O CONTRAST", "CT CHEST W CONTRAST", "CT ABDOMEN PELVIS W CONTRAST", "CT ANGIO CHEST", "MRI BRAIN W/WO",
    "MRI KNEE W/O CONTRAST", "MRI LUMBAR SPINE W/O CONTRAST", "XR CHEST 2 VIEWS", "US RIGHT UPPER QUADRANT",
    "PET/CT WHOLE BODY", "MAMMO SCREENING BILATERAL", "CORONARY ANGIOGRAPHY", "BONE SCAN WHOLE BODY",
    "IRM cérébrale", "Thorax PA", "ROUTINE EXAM",
]  # fmt: skip
SYLLABLES = ["ka", "mo", "ri", "sen", "dal", "ber", "to", "vi", "lin", "gar", "ne", "sho", "ul", "pa", "rek", "zi"]
LAST_NAMES = [(a + b + c).upper() for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES[:8]]  # 2,048
FIRST_NAMES = [(a + b).upper() for a in SYLLABLES for b in SYLLABLES]  # 256
INTERNATIONAL_NAMES = [
    "Dupont^Jérôme", "Müller^Jürgen", "Sørensen^Anne", "Yamada^Tarou=山田^太郎=ヤマダ^タロウ",
    "Hong^Gildong=洪^吉洞=홍^길동", "Wang^Xiaodong=王^小东", "Papadopoulos^Eleni=Παπαδοπούλου^Ελένη",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-sets", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="store file to build or reuse (default: cached under bench/.cache/)")
    parser.add_argument("--queries", type=int, default=100, help="queries per shape")
    parser.add_argument("--import-files", type=int, default=2000, help="DICOM files for the import rate (0: skip)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deep-samples", type=int, default=20, help="searches per refined shape timed at page 100")
    parser.add_argument("--repeats", type=int, default=3, help="import-rate runs (medians)")
    args = parser.parse_args()
    path = args.db or CACHE / f"local-search-{args.image_sets}-seed{args.seed}-v{SCHEMA_VERSION}.sqlite3"
    with LocalStore(path) as store:
        datastore_id, build_seconds = ensure_built(store, args.image_sets, args.seed)
        rng = random.Random(args.seed)
        samples = sample_image_sets(store, datastore_id, args.queries, rng)
        shapes = {name: percentiles(measure(store, datastore_id, make, samples, rng)) for name, make in SHAPES.items()}
        refined = measure_refined(store, datastore_id, samples, rng, args.deep_samples)
        deep = deep_page(store, datastore_id)
    result = {
        "image_sets": args.image_sets,
        "build_seconds": build_seconds,
        "page_size": PAGE,
        "shapes_ms": shapes,
        "p95_max_ms": max(shape["p95"] for name, shape in shapes.items() if not name.startswith("extra_")),
        "p95_max_ms_extra": max(shape["p95"] for name, shape in shapes.items() if name.startswith("extra_")),
        "refined_ms": refined,
        "refined_p95_max_ms": max(
            timing["p95"] for shape in refined.values() for timing in shape.values() if timing is not None
        ),
        "deep_page": deep,
        "import": demo_rate(args.import_files, args.seed, args.repeats) if args.import_files else None,
    }
    print(json.dumps(result))


# -- building the store -------------------------------------------------------------------------------------------


def ensure_built(store: LocalStore, count: int, seed: int) -> tuple[str, float | None]:
    """The bench datastore holding `count` image sets, built now if the file lacks it (build time, or None)."""
    try:
        datastore_id = store.resolve_datastore(DATASTORE)
    except ResourceNotFoundException:
        datastore_id = None
    if datastore_id and image_set_count(store, datastore_id) == count:
        return datastore_id, None
    if datastore_id:
        store.delete_datastore(datastore_id)
    started = time.perf_counter()
    datastore_id = store.create_datastore(DATASTORE)
    load_image_sets(store, datastore_id, generate(count, seed))
    return datastore_id, round(time.perf_counter() - started, 1)


def image_set_count(store: LocalStore, datastore_id: str) -> int:
    with store._reading() as connection:
        ds = store._ds(connection, datastore_id)
        return connection.execute("SELECT count(*) FROM image_sets WHERE ds = ?", (ds,)).fetchone()[0]


def generate(count: int, seed: int) -> Iterator[BulkImageSet]:
    """`count` image sets, patient by patient and study by study, with realistic spreads of dates and updates."""
    rng = random.Random(seed)
    now_ms = to_millis(datetime.now(timezone.utc))
    first_day, last_day = date(1995, 1, 1).toordinal(), date.today().toordinal()
    made = 0
    patient = 0
    while made < count:
        patient += 1
        person = {
            "DICOMPatientId": f"PID{patient:08d}",
            "DICOMPatientName": person_name(rng),
            "DICOMPatientSex": rng.choice("MMMMFFFFFO"),
            "DICOMPatientBirthDate": date.fromordinal(rng.randint(first_day - 30000, first_day)).strftime("%Y%m%d"),
        }
        for study in range(rng.randint(1, 4)):
            study_uid = f"1.2.826.0.1.3680043.10.{seed}.{patient}.{study + 1}"
            study_tags = {
                **person,
                "DICOMStudyInstanceUID": study_uid,
                "DICOMStudyId": str(rng.randint(1, 99999)),
                "DICOMAccessionNumber": f"ACC{rng.getrandbits(36):011d}",
                "DICOMStudyDate": date.fromordinal(rng.randint(first_day, last_day)).strftime("%Y%m%d"),
                "DICOMStudyTime": f"{rng.randint(7, 19):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}",
                "DICOMStudyDescription": rng.choice(DESCRIPTIONS),
            }
            created = now_ms - rng.randint(0, 5 * 365 * DAY_MS)
            for series in range(1, rng.randint(1, 8) + 1):
                for item in series_image_sets(rng, study_tags, series, created, now_ms):
                    yield item
                    made += 1
                    if made == count:
                        return


def person_name(rng: random.Random) -> str:
    """Family names as uneven as real ones (the first few hundred of 2,048 are common), 256 given names, and 2% of
    patients from a handful of accented, Greek and CJK names (so each of those has thousands of image sets)."""
    if rng.random() < 0.02:
        return rng.choice(INTERNATIONAL_NAMES)
    family = LAST_NAMES[min(int(rng.expovariate(1 / 300)), len(LAST_NAMES) - 1)]
    return f"{family}^{rng.choice(FIRST_NAMES)}"


def series_image_sets(
    rng: random.Random, study_tags: dict, series: int, created: int, now_ms: int
) -> Iterator[BulkImageSet]:
    """The primary image set of one series, and (2% of the time) a non-primary one from a conflicting instance."""
    modality, body_part = rng.choice(MODALITIES)
    tags = {
        **study_tags,
        "DICOMSeriesInstanceUID": f"{study_tags['DICOMStudyInstanceUID']}.{series}",
        "DICOMSeriesNumber": series,
        "DICOMSeriesModality": modality,
        "DICOMSeriesBodyPart": body_part,
    }
    updated = created if rng.random() < 0.65 else min(now_ms, created + rng.randint(1, 400 * DAY_MS))
    yield BulkImageSet(
        f"{rng.getrandbits(128):032x}", created, updated, 1 + (updated > created), True, rng.randint(1, 300), tags
    )
    if rng.random() < 0.02:
        conflicting = {**tags, "DICOMAccessionNumber": f"ACC{rng.getrandbits(36):011d}"}
        yield BulkImageSet(f"{rng.getrandbits(128):032x}", updated, updated, 1, False, rng.randint(1, 5), conflicting)


# -- query shapes ---------------------------------------------------------------------------------------------------


def sample_image_sets(store: LocalStore, datastore_id: str, count: int, rng: random.Random) -> list[dict]:
    """`count` random image sets' summary fields and timestamps, to draw query values from."""
    with store._reading() as connection:
        ds = store._ds(connection, datastore_id)
        top = connection.execute("SELECT max(pk) FROM image_sets WHERE ds = ?", (ds,)).fetchone()[0]
        rows = []
        while len(rows) < count:
            row = connection.execute(
                "SELECT tags, updated_at FROM image_sets WHERE pk = ? AND ds = ?", (rng.randint(1, top), ds)
            ).fetchone()
            if row:
                rows.append({**json.loads(row[0]), "updated_at": row[1]})
    return rows


def equal(attribute: str) -> Callable[[dict, random.Random], dict]:
    return lambda sample, rng: {"filters": [{"values": [{attribute: sample[attribute]}], "operator": "EQUAL"}]}


def study_date_window(sample: dict, rng: random.Random) -> dict:
    """A 31-day study-date window around a sampled study, sorted by study date."""
    day = datetime.strptime(sample["DICOMStudyDate"], "%Y%m%d").date()
    low, high = day - timedelta(days=15), day + timedelta(days=15)
    bounds = [
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": low.strftime("%Y%m%d")}},
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": high.strftime("%Y%m%d"), "DICOMStudyTime": "235959.999999"}},
    ]
    order = rng.choice(["ASC", "DESC"])
    return {
        "filters": [{"values": bounds, "operator": "BETWEEN"}],
        "sort": {"sortField": "DICOMStudyDateAndTime", "sortOrder": order},
    }


def updated_and_series(sample: dict, rng: random.Random) -> dict:
    """AWS's example 4: updatedAt BETWEEN plus DICOMSeriesInstanceUID EQUAL, sorted updatedAt ASC."""
    at = sample["updated_at"] / 1000
    return {
        "filters": [
            {"values": [{"updatedAt": at - 86_400 * 30}, {"updatedAt": at + 86_400}], "operator": "BETWEEN"},
            {"values": [{"DICOMSeriesInstanceUID": sample["DICOMSeriesInstanceUID"]}], "operator": "EQUAL"},
        ],
        "sort": {"sortField": "updatedAt", "sortOrder": "ASC"},
    }


def study_years_default_sort(sample: dict, rng: random.Random) -> dict:
    """A five-year study-date window with the default sort: a wide range read on the updatedAt index."""
    year = int(sample["DICOMStudyDate"][:4])
    bounds = [
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": f"{year - 2}0101"}},
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": f"{year + 2}1231", "DICOMStudyTime": "235959.999999"}},
    ]
    return {"filters": [{"values": bounds, "operator": "BETWEEN"}]}


def created_month_default_sort(sample: dict, rng: random.Random) -> dict:
    """A 31-day createdAt window ending at a sampled image set's update, default sort: for old windows the
    matches sit far down the updatedAt order (created and updated times go together)."""
    end = sample["updated_at"] / 1000
    bounds = [{"createdAt": end - 31 * 86_400}, {"createdAt": end}]
    return {"filters": [{"values": bounds, "operator": "BETWEEN"}]}


SHAPES: dict[str, Callable[[dict, random.Random], dict | None]] = {
    "equal_patient_id": equal("DICOMPatientId"),
    "equal_accession_number": equal("DICOMAccessionNumber"),
    "equal_study_id": equal("DICOMStudyId"),
    "equal_study_instance_uid": equal("DICOMStudyInstanceUID"),
    "equal_series_instance_uid": equal("DICOMSeriesInstanceUID"),
    "between_study_date_sorted_by_study_date": study_date_window,
    "between_updated_at_and_series_uid_updated_asc": updated_and_series,
    "no_filter_default_sort": lambda sample, rng: None,
    "extra_between_study_years_default_sort": study_years_default_sort,
    "extra_equal_is_primary_false": lambda sample, rng: {
        "filters": [{"values": [{"isPrimary": False}], "operator": "EQUAL"}]
    },
    "extra_between_created_month_default_sort": created_month_default_sort,
}


# -- refinements, searched by the store itself ------------------------------------------------------------------------


def typed_name(sample: dict, rng: random.Random) -> str:
    """A name as someone would type it: one group's words, lower-case, CJK without separators."""
    groups = sample["DICOMPatientName"].split("=")
    words = rng.choice(groups).split("^")
    if any(ord(char) > 0x2E80 for word in words for char in word):
        return "".join(words)
    return rng.choice(words).lower()


def given_and_family(sample: dict, rng: random.Random) -> str:
    family, _, given = sample["DICOMPatientName"].split("=")[0].partition("^")
    return f"{given} {family}".lower()


def description_word(sample: dict, rng: random.Random) -> str:
    words = [word for word in sample["DICOMStudyDescription"].split() if len(word) >= 3]
    return rng.choice(words).lower()


def birth_decade(sample: dict, rng: random.Random) -> list[str]:
    year = int(sample["DICOMPatientBirthDate"][:4])
    return [f"{year - 5}0101", f"{year + 4}1231"]


REFINEMENTS: dict[str, Callable[[dict, random.Random], dict]] = {
    "modality": lambda sample, rng: {"modality": [sample["DICOMSeriesModality"]]},
    "modality_any_of_two": lambda sample, rng: {"modality": [sample["DICOMSeriesModality"], rng.choice(MODALITIES)[0]]},
    "body_part": lambda sample, rng: {"body_part": sample["DICOMSeriesBodyPart"].lower()},
    "patient_name_one_word": lambda sample, rng: {"patient_name": typed_name(sample, rng)},
    "patient_name_given_family": lambda sample, rng: {"patient_name": given_and_family(sample, rng)},
    "study_description_contains": lambda sample, rng: {"study_description": description_word(sample, rng)},
    "patient_sex": lambda sample, rng: {"patient_sex": sample["DICOMPatientSex"]},
    "patient_birth_date_decade": lambda sample, rng: {"patient_birth_date": birth_decade(sample, rng)},
}


def study_year(sample: dict, rng: random.Random) -> dict:
    """A one-year study-date window around a sampled study, default sort."""
    year = sample["DICOMStudyDate"][:4]
    bounds = [
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": f"{year}0101"}},
        {"DICOMStudyDateAndTime": {"DICOMStudyDate": f"{year}1231", "DICOMStudyTime": "235959.999999"}},
    ]
    return {"filters": [{"values": bounds, "operator": "BETWEEN"}]}


REFINED_WITH: dict[str, Callable[[dict, random.Random], dict | None]] = {
    "alone": lambda sample, rng: None,
    "with_study_year": study_year,
    "with_patient_id": equal("DICOMPatientId"),
}


def measure_refined(
    store: LocalStore, datastore_id: str, samples: list[dict], rng: random.Random, deep_samples: int
) -> dict:
    """Each refinement alone and with a filter: page 1 over every sample, page 100 over the first `deep_samples`
    samples whose search has 100 pages."""
    shapes = {}
    for name, refine in REFINEMENTS.items():
        for context, make in REFINED_WITH.items():
            calls = [(make(sample, rng), refine(sample, rng)) for sample in samples]
            first = [timed(store, datastore_id, criteria, refinements) for criteria, refinements in calls]
            deep = deep_pages(store, datastore_id, calls, deep_samples) if context != "with_patient_id" else []
            shapes[f"{name}_{context}"] = {"page1": percentiles(first), "page100": percentiles(deep) if deep else None}
    return shapes


def timed(store: LocalStore, datastore_id: str, criteria, refinements, token: str | None = None) -> float:
    started = time.perf_counter()
    store.search_image_sets(datastore_id, criteria, max_results=PAGE, next_token=token, refinements=refinements)
    return (time.perf_counter() - started) * 1000


def deep_pages(store: LocalStore, datastore_id: str, calls: list, wanted: int) -> list[float]:
    """Page 100's latency (median of 3 reads) for up to `wanted` of the calls that have a page 100."""
    found = []
    for criteria, refinements in calls:
        token = None
        for _ in range(99):
            page = store.search_image_sets(
                datastore_id, criteria, max_results=PAGE, next_token=token, refinements=refinements
            )
            token = page.get("nextToken")
            if token is None:
                break
        if token is not None:
            found.append(statistics.median(timed(store, datastore_id, criteria, refinements, token) for _ in range(3)))
            if len(found) == wanted:
                break
    return found


def measure(
    store: LocalStore, datastore_id: str, make: Callable, samples: list[dict], rng: random.Random
) -> list[float]:
    """Milliseconds of one 50-item page per sample (after two warm-up calls)."""
    criteria = [make(sample, rng) for sample in samples]
    for warm in criteria[:2]:
        store.search_image_sets(datastore_id, warm, max_results=PAGE)
    timings = []
    for each in criteria:
        started = time.perf_counter()
        store.search_image_sets(datastore_id, each, max_results=PAGE)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentiles(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {"p50": round(statistics.median(ordered), 3), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3)}


def deep_page(store: LocalStore, datastore_id: str, repeats: int = 31) -> dict:
    """Page 2,000's latency over page 1's, both read `repeats` times alternately (medians), default sort."""
    token = None
    for _ in range(DEEP_PAGE - 1):
        token = store.search_image_sets(datastore_id, max_results=PAGE, next_token=token).get("nextToken")
        if token is None:
            return {"pages": "fewer than 2000", "ratio": None}
    first, deep = [], []
    for _ in range(repeats):
        for timings, page_token in ((first, None), (deep, token)):
            started = time.perf_counter()
            store.search_image_sets(datastore_id, max_results=PAGE, next_token=page_token)
            timings.append((time.perf_counter() - started) * 1000)
    page1, page2000 = statistics.median(first), statistics.median(deep)
    return {"page1_ms": round(page1, 3), "page2000_ms": round(page2000, 3), "ratio": round(page2000 / page1, 3)}


if __name__ == "__main__":
    sys.exit(main())
