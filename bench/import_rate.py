"""The import rate next to pydicom's header-read rate, per source of a real-world corpus or on generated files.

    python bench/import_rate.py --corpus FOLDER [--repeats 3] [--per-source 1000]
    python bench/import_rate.py [--files 2000] [--seed 7] [--repeats 5]

A corpus folder holds one folder per source (a vendor's QA series, a library's test files); bench/corpus_sources.txt
names public repositories and the commits measured, each checked out into a folder of that name. Without --corpus,
generated demo files are measured. For each source and for the whole corpus, over the files that both pydicom and
the importer read (no skip): pydicom's `dcmread(stop_before_pixels=True)` rate, the importer's rate (read and stored
into a fresh store by `import_paths`), their ratio (medians of --repeats runs, measured one after the other on the
same files in each run), pydicom's rate when it also decodes every value (as an import must; `dcmread` leaves
sequences of defined length undecoded, most of an enhanced multi-frame header) and the ratio to that, and the
mismatches: files whose Instance is not the same, value for value and type
for type, when pydicom reads them with the fast reader switched off. Prints one JSON object last.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from imageset_search.datastores.local.importer import SkipFile, import_paths, list_files, read_instance
from imageset_search.datastores.local.pydicom_reader import pydicom_instance
from imageset_search.datastores.local.store import LocalStore

CACHE = Path(__file__).resolve().parent / ".cache"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a folder of source folders of DICOM files")
    parser.add_argument("--files", type=int, default=2000, help="generated demo files, without --corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="runs per measure (medians)")
    parser.add_argument("--per-source", type=int, help="at most this many files of each source (the first in order)")
    args = parser.parse_args()
    if args.corpus:
        print(json.dumps(corpus_rates(args.corpus, args.repeats, args.per_source)))
    else:
        print(json.dumps(demo_rate(args.files, args.seed, args.repeats)))


def corpus_rates(corpus: Path, repeats: int, limit: int | None = None) -> dict:
    """Each source's rates; the whole corpus's, from the sources' median times added up; and the lowest ratio of a
    source (the slowest vendor's series)."""
    sources = sorted(path for path in corpus.iterdir() if path.is_dir())
    per_source = {}
    for source in sources:
        paths = importable_files(source, limit)
        if paths:
            per_source[source.name] = rates(paths, repeats) | {"mismatches": mismatches(paths)}
            print(source.name, json.dumps(per_source[source.name]), file=sys.stderr)
    files = sum(measured["files"] for measured in per_source.values())
    whole = {
        name: round(files / sum(measured["files"] / measured[name] for measured in per_source.values()), 1)
        for name in ("pydicom_files_per_s", "import_files_per_s", "pydicom_every_value_files_per_s")
    }
    whole["ratio"] = round(whole["import_files_per_s"] / whole["pydicom_files_per_s"], 3)
    whole["ratio_to_every_value"] = round(whole["import_files_per_s"] / whole["pydicom_every_value_files_per_s"], 3)
    return {
        "corpus": {"files": files, **whole},
        "lowest_source_ratio": min(measured["ratio"] for measured in per_source.values()),
        "mismatches": sum(measured["mismatches"] for measured in per_source.values()),
        "sources": per_source,
    }


def demo_rate(count: int, seed: int, repeats: int) -> dict:
    """The rates on `count` generated demo files, written once under bench/.cache/."""
    from imageset_search.datastores.local.demo import write_dicom_files

    folder = CACHE / f"dicom-{count}-seed{seed}"
    paths = sorted(folder.rglob("*.dcm")) if folder.exists() else []
    if len(paths) != count:
        paths = write_dicom_files(folder, count, seed)
    return rates(paths, repeats)


def rates(paths: list[Path], repeats: int) -> dict:
    """Files/s of pydicom's header read and of the import over `paths`, side by side (medians of `repeats`)."""
    import pydicom

    read_seconds, decode_seconds, import_seconds = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        for path in paths:
            pydicom.dcmread(path, stop_before_pixels=True)
        read_seconds.append(time.perf_counter() - started)
        decode_seconds.append(pydicom_decoding_every_value(paths))
        import_seconds.append(timed_into_new_store(lambda store, datastore: import_paths(store, datastore, paths)))
    pydicom_rate = len(paths) / statistics.median(read_seconds)
    decoding_rate = len(paths) / statistics.median(decode_seconds)
    import_rate = len(paths) / statistics.median(import_seconds)
    return {
        "files": len(paths),
        "pydicom_files_per_s": round(pydicom_rate, 1),
        "import_files_per_s": round(import_rate, 1),
        "ratio": round(import_rate / pydicom_rate, 3),
        "pydicom_every_value_files_per_s": round(decoding_rate, 1),
        "ratio_to_every_value": round(import_rate / decoding_rate, 3),
    }


def pydicom_decoding_every_value(paths: list[Path]) -> float:
    """Seconds pydicom takes to read the headers and decode every value, sequences' included: what the import needs
    and `dcmread` alone defers (it leaves a sequence of defined length undecoded until it is asked for)."""
    import pydicom

    started = time.perf_counter()
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for element in pydicom.dcmread(path, stop_before_pixels=True).iterall():
                element.value
    return time.perf_counter() - started


def importable_files(source: Path, limit: int | None = None) -> list[Path]:
    """The files under `source` (the first `limit` in walk order) that pydicom reads as they are and the importer
    imports (no skip)."""
    import pydicom

    kept = []
    for path in list_files([source])[:limit]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pydicom.dcmread(path, stop_before_pixels=True)
            read_instance(path)
        except Exception:  # SkipFile, or whatever pydicom raises on a file it cannot read as it is
            continue
        kept.append(path)
    return kept


def mismatches(paths: list[Path]) -> int:
    """How many files give another Instance (values and their types) when pydicom alone reads them."""
    return sum(repr(read_instance(path)) != repr(_pydicom_reading(path)) for path in paths)


def _pydicom_reading(path: Path):
    try:
        return pydicom_instance(path)
    except SkipFile as skip:
        return skip.reason


def timed_into_new_store(work: Callable[[LocalStore, str], object]) -> float:
    """Seconds `work` takes on a fresh datastore in a scratch store file."""
    with tempfile.TemporaryDirectory() as scratch, LocalStore(Path(scratch) / "import.sqlite3") as store:
        datastore_id = store.create_datastore("import")
        started = time.perf_counter()
        work(store, datastore_id)
        return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
