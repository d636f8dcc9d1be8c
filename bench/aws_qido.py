"""The AWS backend's searches with and without HealthImaging's DICOMweb QIDO-RS, side by side, against serve-api.

    python bench/aws_qido.py [--image-sets 2000] [--patients 5] [--max-items 10]

Builds (or reuses, cached under bench/.cache/) a demo datastore with `today` pinned, serves it over HealthImaging's
REST and QIDO-RS routes on loopback (the same endpoint as `imageset-search serve-api`), and walks, page by page
through the real search tool (boto3 and dicomweb-client over HTTP, SigV4-signed): "brain MRIs of YEAR" (the study
year with the most brain MR image sets) and "patient name X" for a few patients. For each it reports, with QIDO-RS
and with the plain SearchImageSets scan (--no-qido): the service calls per page (median and max) and the latency per
page in ms (median), and that both walks found the same image sets. The last line is one JSON object.
"""

import argparse
import json
import os
import statistics
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from imageset_search.datastores.aws.datastore import AwsDatastore
from imageset_search.datastores.local.demo import DEMO_DATASTORE_ID, build_demo
from imageset_search.datastores.testbed.endpoint import start_endpoint
from imageset_search.datastores.testbed.faults import Faults
from imageset_search.datastores.local.schema import SCHEMA_VERSION
from imageset_search.datastores.local.store import LocalStore
from imageset_search.tools.models import SearchArgs
from imageset_search.tools.search import search_image_sets
from imageset_search.tools.settings import Settings

CACHE = Path(__file__).resolve().parent / ".cache"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
MAX_PAGES = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-sets", type=int, default=2000)
    parser.add_argument("--patients", type=int, default=5, help="patient-name searches (different patients)")
    parser.add_argument("--max-items", type=int, default=10, help="image sets per page, as the tool's default")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # serve-api accepts any key pair
        os.environ.setdefault(name, "bench")
    store = LocalStore(demo_file(args.image_sets))
    searches = {"brain MRIs of " + brain_mr_year(store): brain_search(store)}
    for number, name in enumerate(patient_names(store, args.patients), 1):
        searches[f"patient name (patient {number})"] = {"patient_name": name}
    report = {"image_sets": args.image_sets, "max_items": args.max_items, "searches": {}}
    with start_endpoint(store) as endpoint:
        ways = {
            "qido": AwsDatastore(endpoint_url=endpoint.url, region="us-east-1"),
            "scan": AwsDatastore(endpoint_url=endpoint.url, region="us-east-1", qido=False),
        }
        for label, arguments in searches.items():
            measured = {way: walk(endpoint, datastore, arguments, args.max_items) for way, datastore in ways.items()}
            found = {way: measured[way].pop("found") for way in measured}
            same = sorted(found["qido"]) == sorted(found["scan"]) and len(found["qido"]) == len(set(found["qido"]))
            row = report["searches"].setdefault(label.split(" (")[0], [])
            row.append({**measured, "same_image_sets": same, "matches": len(found["qido"])})
            print(label, json.dumps(row[-1]), flush=True)
    report["summary"] = summary(report["searches"])
    print(json.dumps(report))


def demo_file(image_sets: int) -> Path:
    path = CACHE / f"aws-qido-demo-{image_sets}-{TODAY:%Y%m%d}-v{SCHEMA_VERSION}.sqlite3"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building")
        with LocalStore(building) as store:
            build_demo(store, image_sets=image_sets, seed=0, today=TODAY)
        building.rename(path)
    return path


def all_summaries(store) -> list[dict]:
    found, token = [], None
    while True:
        page = store.search_image_sets(DEMO_DATASTORE_ID, None, max_results=50, next_token=token)
        found += page["imageSetsMetadataSummaries"]
        token = page.get("nextToken")
        if not token:
            return found


def brain_mr_year(store) -> str:
    years = Counter(
        s["DICOMTags"].get("DICOMStudyDate", "")[:4]
        for s in all_summaries(store)
        if s["DICOMTags"].get("DICOMSeriesModality") == "MR" and s["DICOMTags"].get("DICOMSeriesBodyPart") == "BRAIN"
    )
    return years.most_common(1)[0][0]


def brain_search(store) -> dict:
    return {"modality": "MR", "body_part": "brain", "study_date": brain_mr_year(store)}


def patient_names(store, count: int) -> list[str]:
    """Names of the patients with the most primary image sets, given name first, in lower case (as typed)."""
    sets, names = Counter(), {}
    for s in all_summaries(store):
        name = s["DICOMTags"].get("DICOMPatientName")
        if s["isPrimary"] and name:
            names[s["DICOMTags"]["DICOMPatientId"]] = name
            sets[s["DICOMTags"]["DICOMPatientId"]] += 1
    chosen = [patient for patient, _ in sets.most_common(count)]
    return [" ".join(reversed(names[p].replace("^", " ").split())).lower() for p in chosen]


def walk(endpoint, datastore, arguments: dict, max_items: int) -> dict:
    """One whole walk through the search tool: calls and ms per page, and the image sets found."""
    settings = Settings(tz=ZoneInfo("UTC"))
    calls, millis, found, token = [], [], [], None
    for _ in range(MAX_PAGES):
        endpoint.faults = Faults()  # counts every request of this page
        args = SearchArgs(next_token=token) if token else SearchArgs(**arguments, max_items=max_items, detail="full")
        start = time.perf_counter()
        result = search_image_sets(datastore, args, settings, NOW)
        millis.append((time.perf_counter() - start) * 1000)
        calls.append(endpoint.faults.requests)
        found += [item["imageSetId"] for item in result.image_sets or []]
        token = result.next_token
        if not token:
            break
    return {
        "pages": len(calls),
        "calls_per_page_median": statistics.median(calls),
        "calls_per_page_max": max(calls),
        "ms_per_page_median": round(statistics.median(millis), 1),
        "found": found,
    }


def summary(searches: dict) -> dict:
    out = {}
    for label, rows in searches.items():
        for way in ("qido", "scan"):
            out[f"{label}: {way} calls/page max"] = max(row[way]["calls_per_page_max"] for row in rows)
            out[f"{label}: {way} calls/page median"] = statistics.median(
                row[way]["calls_per_page_median"] for row in rows
            )
            out[f"{label}: {way} ms/page median"] = statistics.median(row[way]["ms_per_page_median"] for row in rows)
        out[f"{label}: same image sets"] = all(row["same_image_sets"] for row in rows)
    return out


if __name__ == "__main__":
    main()
