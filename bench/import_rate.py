"""The import rate next to pydicom's header-read rate, per source of a real-world corpus or on generated files.

    python bench/import_rate.py --corpus FOLDER [--repeats 3] [--per-source 1000]
    python bench/import_rate.py [--files 2000] [--seed 7] [--repeats 5]

A corpus folder holds one folder per source (a vendor's QA series, a library's test files); bench/corpus_sources.txt
names public repositories and the commits measured, each checked out into a folder of that name. Without --corpus,
generated demo files are measured. For each source and for the whole corpus (its total from the sources' medians),
over the files that both pydicom and the importer read (no skip): pydicom's `dcmread(stop_before_pixels=True)` rate,
the importer's rate (read and stored into a fresh store by `import_paths`), their ratio by the clock and by CPU time
(medians of --repeats runs, measured one after the other on the same files in each run), pydicom's rate when it also
decodes every value (as an import must; `dcmread` leaves a sequence of defined length undecoded, most of an enhanced
multi-frame header) and the ratio to that, and the mismatches: files whose Instance is not the same, value for value
and type for type, when pydicom reads them with the fast reader switched off. Prints one JSON object last.
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
    cpu = {
        name: sum(measured["cpu_seconds"][name] for measured in per_source.values()) for name in ("pydicom", "import")
    }
    whole["ratio_cpu"] = round(cpu["pydicom"] / cpu["import"], 3)
    whole["ratio_to_every_value"] = round(whole["import_files_per_s"] / whole["pydicom_every_value_files_per_s"], 3)
    return {
        "corpus": {"files": files, **whole},
        "lowest_source_ratio": min(measured["ratio"] for measured in per_source.values()),
        "lowest_source_ratio_cpu": min(measured["ratio_cpu"] for measured in per_source.values()),
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
    """Files/s of pydicom's header read and of the import over `paths`, side by side (medians of `repeats`), by the
    clock and by this process's CPU time (steadier on a machine shared with other jobs)."""
    import pydicom

    def read() -> None:
        for path in paths:
            pydicom.dcmread(path, stop_before_pixels=True)

    runs = {"read": [], "every value": [], "import": []}
    for _ in range(repeats):
        runs["read"].append(timed(read))
        runs["every value"].append(timed(lambda: pydicom_decoding_every_value(paths)))
        with tempfile.TemporaryDirectory() as scratch, LocalStore(Path(scratch) / "import.sqlite3") as store:
            datastore_id = store.create_datastore("import")  # a fresh store, made before the clock starts
            runs["import"].append(timed(lambda: import_paths(store, datastore_id, paths)))
    wall = {name: statistics.median(clock for clock, _cpu in measured) for name, measured in runs.items()}
    cpu = {name: statistics.median(used for _clock, used in measured) for name, measured in runs.items()}
    return {
        "files": len(paths),
        "pydicom_files_per_s": round(len(paths) / wall["read"], 1),
        "import_files_per_s": round(len(paths) / wall["import"], 1),
        "ratio": round(wall["read"] / wall["import"], 3),
        "ratio_cpu": round(cpu["read"] / cpu["import"], 3),
        "pydicom_every_value_files_per_s": round(len(paths) / wall["every value"], 1),
        "ratio_to_every_value": round(wall["every value"] / wall["import"], 3),
        "cpu_seconds": {"pydicom": round(cpu["read"], 3), "import": round(cpu["import"], 3)},
    }


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds by the clock, CPU seconds of this process) that `work()` takes."""
    clock, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - clock, time.process_time() - cpu


def pydicom_decoding_every_value(paths: list[Path]) -> None:
    """pydicom reads the headers and decodes every value, sequences' included: what the import needs and `dcmread`
    alone defers (it leaves a sequence of defined length undecoded until it is asked for)."""
    import pydicom

    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for element in pydicom.dcmread(path, stop_before_pixels=True).iterall():
                element.value


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


if __name__ == "__main__":
    sys.exit(main())
