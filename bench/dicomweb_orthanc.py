"""The dicomweb backend against a real Orthanc, next to the local datastore on the same demo data.

    python bench/dicomweb_orthanc.py [--image-sets 200] [--max-items 10] [--repeats 5]

Writes the demo's DICOM files (today pinned), loads them into a fresh Orthanc with its DICOMweb plugin (Debian's
`orthanc` and `orthanc-dicomweb`, started on loopback ports as the tests start it, stopped at the end) and into a
local datastore, then walks each search page by page through the real search tool on both: the archive's calls per
page (requests Orthanc answered) and the latency per page in ms on both (medians over --repeats walks), and whether
both found the same series. The last line is one JSON object.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from orthanc_fixtures import PASSWORD, PASSWORD_ENV, TODAY, USER, missing_packages, running_orthanc  # noqa: E402

from imageset_search.datastores.dicomweb.auth import Auth  # noqa: E402
from imageset_search.datastores.dicomweb.datastore import DicomwebDatastore  # noqa: E402
from imageset_search.datastores.dicomweb.qido import QidoOptions  # noqa: E402
from imageset_search.datastores.local.demo import build_demo, demo_uploads, write_upload  # noqa: E402
from imageset_search.datastores.local.store import LocalStore  # noqa: E402
from imageset_search.tools.models import SearchArgs  # noqa: E402
from imageset_search.tools.search import search_image_sets  # noqa: E402
from imageset_search.tools.settings import Settings  # noqa: E402

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
MAX_PAGES = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-sets", type=int, default=200)
    parser.add_argument("--max-items", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if missing_packages():
        raise SystemExit(f"install {' '.join(missing_packages())} first (apt-get install orthanc orthanc-dicomweb)")
    os.environ[PASSWORD_ENV] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="dicomweb-bench-") as folder:
        folder = Path(folder)
        uploads = sorted(demo_uploads(args.image_sets, 0, TODAY), key=lambda upload: upload.at)
        files = [p for index, upload in enumerate(uploads) for p in write_upload(folder / "files", index, upload)]
        store = LocalStore(folder / "local.sqlite3")
        build_demo(store, image_sets=args.image_sets, seed=0, today=TODAY)
        (folder / "orthanc").mkdir()
        with running_orthanc(folder / "orthanc", files) as orthanc:
            archive = DicomwebDatastore(
                QidoOptions(orthanc.dicomweb_url, Auth("basic", username=USER, password_env=PASSWORD_ENV))
            )
            report = {"image_sets": args.image_sets, "files": len(files), "max_items": args.max_items, "searches": {}}
            for label, arguments in searches(store).items():
                row = {
                    "archive": measure(archive, arguments, args),
                    "local": measure(store, dict(arguments, is_primary=True), args),
                }
                row["same_series"] = row["archive"].pop("series") == row["local"].pop("series")
                row["local"].pop("calls_per_page_median")
                row["local"].pop("calls_per_page_max")
                report["searches"][label] = row
                print(label, json.dumps(row), flush=True)
        store.close()
    print(json.dumps(report))


def searches(store) -> dict[str, dict]:
    primary = []
    token = None
    while True:
        page = store.search_image_sets("12345678901234567890123456789012", None, 50, token)
        primary += [s for s in page["imageSetsMetadataSummaries"] if s["isPrimary"]]
        token = page.get("nextToken")
        if not token:
            break
    patient = Counter(s["DICOMTags"]["DICOMPatientId"] for s in primary).most_common(1)[0][0]
    name = next(s["DICOMTags"]["DICOMPatientName"] for s in primary if s["DICOMTags"]["DICOMPatientId"] == patient)
    year = Counter(s["DICOMTags"].get("DICOMStudyDate", "")[:4] for s in primary).most_common(1)[0][0]
    return {
        "every image set": {},
        "patient id": {"patient_id": patient},
        "patient name": {"patient_name": name.lower()},
        "modality CT": {"modality": "CT"},
        f"MR of {year}": {"modality": "MR", "study_date": year},
        "body part (scanned)": {"body_part": "chest"},
    }


def measure(datastore, arguments: dict, args) -> dict:
    """Medians over repeated whole walks: ms per page; for the archive also its requests per page."""
    settings = Settings(tz=ZoneInfo("UTC"))
    millis, calls, series = [], [], None
    for _ in range(args.repeats):
        found, token = [], None
        for _ in range(MAX_PAGES):
            before = getattr(getattr(datastore, "client", None), "calls", 0)
            request = (
                SearchArgs(next_token=token)
                if token
                else SearchArgs(**arguments, max_items=args.max_items, detail="full")
            )
            start = time.perf_counter()
            result = search_image_sets(datastore, request, settings, NOW)
            millis.append((time.perf_counter() - start) * 1000)
            calls.append(getattr(getattr(datastore, "client", None), "calls", 0) - before)
            found += [item["DICOMTags"]["DICOMSeriesInstanceUID"] for item in result.image_sets or []]
            token = result.next_token
            if not token:
                break
        series = sorted(found)
    return {
        "pages": len(millis) // args.repeats,
        "calls_per_page_median": statistics.median(calls),
        "calls_per_page_max": max(calls),
        "ms_per_page_median": round(statistics.median(millis), 2),
        "series": series,
    }


if __name__ == "__main__":
    main()
