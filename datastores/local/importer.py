"""Import DICOM files into the local store: walk files and folders, read each header once, store in batches.

Each file's header is read once, by the fast reader (`dicom_header`) wherever it can read it exactly as pydicom
would, and by pydicom (`pydicom_reader`) everywhere else; both give the same Instance (`dicom_instance`), so which
one read a file never shows in what is stored.

Each batch is one `store.add_instances` call, one transaction: a kill mid-import leaves whole batches only, and
running the same import again adds just what is missing (instances already stored are duplicates and add nothing).
A batch never splits a series: the store makes a new version of an image set for every call that adds to it, so a
series cut in two would come out of a fresh import as version 2. So every file is read first, its Instance set
aside by series (`_Shelf`), and then the instances are stored series by series, which also keeps interleaved
exports whole.
"""

import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imageset_search.datastores.local.dicom_header import fast_elements, fast_header
from imageset_search.datastores.local.dicom_instance import (
    DIRECTORY_RECORD_SEQUENCE_TAG,
    SkipFile,
    check_not_a_dicomdir,
    converted,
    to_instance,
)
from imageset_search.datastores.local.pydicom_reader import pydicom_instance
from imageset_search.datastores.local.records import Instance

__all__ = ["ImportReport", "SkipFile", "import_paths", "list_files", "read_instance"]
SHELF_MEMORY = 256 * 1024 * 1024  # instances read and not yet stored stay in memory up to this size, then on disk


@dataclass
class ImportReport:
    files_seen: int = 0
    instances_added: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file path, reason)
    image_sets_created: int = 0
    image_sets_updated: int = 0


def read_instance(path: str | os.PathLike) -> Instance:
    """One file's header as an Instance (pixel data is never read); raises SkipFile when it cannot be imported."""
    path = Path(path)
    if not path.is_file():  # a FIFO or device would block the read; a dangling link has nothing to read
        raise SkipFile("not a regular file")
    header = fast_header(path)
    elements = fast_elements(header) if header is not None else None
    if elements is None:
        return pydicom_instance(path)
    check_not_a_dicomdir(None, DIRECTORY_RECORD_SEQUENCE_TAG in header.elements)
    return converted(lambda: to_instance(elements, header.syntax))


def import_paths(
    store,
    datastore_id: str,
    paths: Iterable[str | os.PathLike],
    *,
    batch_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import every file under `paths` (folders recursively, walked in sorted order, stored series by series).

    A bad file is reported in `skipped` and the import goes on. Raises FileNotFoundError before storing anything
    when a path does not exist. `progress(done, total)` hears of each file read (done of total), and once with
    done 0 before the first, so a long import shows it has begun; storing follows the last file read.
    """
    skipped: list[tuple[str, str]] = []
    files = list_files(paths, skipped)
    report = ImportReport(files_seen=len(files), skipped=skipped)
    if progress:
        progress(0, len(files))
    with _Shelf() as shelf:
        for done, path in enumerate(files, start=1):
            try:
                shelf.put(read_instance(path))
            except SkipFile as skip:
                report.skipped.append((str(path), skip.reason))
            if progress:
                progress(done, len(files))
        batch: list[Instance] = []
        for instance in shelf.in_series_order():
            if len(batch) >= batch_size and instance.series_instance_uid != batch[-1].series_instance_uid:
                _add(store, datastore_id, batch, now, report)
                batch = []
            batch.append(instance)
        _add(store, datastore_id, batch, now, report)
    return report


class _Shelf:
    """The instances read so far, grouped by series in the order each series was first met.

    They wait in a spooled temporary file (in memory up to SHELF_MEMORY, on disk past it, deleted when closed), so
    an import of any size holds at most that much, and each header is still read only once.
    """

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=SHELF_MEMORY)
        self.places: dict[str, list[tuple[int, int]]] = {}  # series UID -> (offset, size) of each instance

    def __enter__(self) -> "_Shelf":
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()

    def put(self, instance: Instance) -> None:
        data = pickle.dumps(instance, pickle.HIGHEST_PROTOCOL)
        self.places.setdefault(instance.series_instance_uid, []).append((self.file.tell(), len(data)))
        self.file.write(data)

    def in_series_order(self) -> Iterator[Instance]:
        for places in self.places.values():
            for offset, size in places:
                self.file.seek(offset)
                yield pickle.loads(self.file.read(size))


def list_files(paths: Iterable[str | os.PathLike], skipped: list[tuple[str, str]] | None = None) -> list[Path]:
    """The files named or lying under `paths`, each once, folders walked in sorted order so imports repeat exactly.

    Folders reached through links are walked too, each folder once (a link back up the tree would loop forever). A
    folder that cannot be read, and a link to a folder already walked, go into `skipped` with the reason."""
    roots = [Path(path) for path in paths]
    missing = [str(root) for root in roots if not root.exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(map(repr, missing))}")
    seen: set[str] = set()
    walked: set[str] = set()
    noted = [] if skipped is None else skipped
    files = []
    for file, key in (found for root in roots for found in _walk(root, walked, noted)):
        if key not in seen:
            seen.add(key)
            files.append(file)
    return files


def _walk(root: Path, walked: set[str], skipped: list[tuple[str, str]]) -> Iterator[tuple[Path, str]]:
    """Each file with its resolved path, the key that makes it counted once. A file that is not a link resolves to
    its folder's resolved path and its name, so each folder is resolved once: resolving every file's whole path
    was a tenth of an import's time. `walked` holds the resolved folders met so far, across roots."""
    if not root.is_dir():
        yield root, os.path.realpath(root)
        return
    if os.path.realpath(root) in walked:
        return
    walked.add(os.path.realpath(root))

    def unreadable(error: OSError) -> None:
        skipped.append((error.filename or str(root), f"folder not readable ({error.strerror or type(error).__name__})"))

    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        subfolders[:] = _unwalked(folder, sorted(subfolders), walked, skipped)
        resolved_folder = os.path.realpath(folder)
        for name in sorted(names):
            path = os.path.join(folder, name)
            key = os.path.realpath(path) if os.path.islink(path) else os.path.join(resolved_folder, name)
            yield Path(path), key


def _unwalked(folder: str, subfolders: list[str], walked: set[str], skipped: list[tuple[str, str]]) -> list[str]:
    """The subfolders still to walk, marked walked; a link to a folder met before is reported, not walked again."""
    kept = []
    for name in subfolders:
        path = os.path.join(folder, name)
        resolved = os.path.realpath(path)
        if resolved not in walked:
            walked.add(resolved)
            kept.append(name)
        elif os.path.islink(path):
            skipped.append((path, "a link to a folder imported already (its files are counted once)"))
    return kept


def _add(store, datastore_id: str, instances: Sequence[Instance], now, report: ImportReport) -> None:
    if not instances:
        return
    result = store.add_instances(datastore_id, instances, now=now)
    report.instances_added += result.instances_added
    report.duplicates += result.instances_duplicate
    report.image_sets_created += result.image_sets_created
    report.image_sets_updated += result.image_sets_updated
