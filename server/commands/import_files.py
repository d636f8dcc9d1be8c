"""`imageset-search import PATH...`: load DICOM files and folders into a datastore of the local SQLite file.

The summary says what happened in counts and lists the files left out with the reason, by path only: a path is
the user's own, a patient's name or ID read from a file never is printed.
"""

import sys
from collections import Counter

from imageset_search.datastores.healthimaging import is_id
from imageset_search.datastores.wording import counted
from imageset_search.server.errors import CommandError

DEFAULT_DATASTORE = "default"
LISTED_SKIPS = 50  # past this many, the rest are counted by reason rather than listed


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "import",
        parents=[common],
        help="import DICOM files or folders into the local datastore",
        description="Read DICOM headers from files and folders (recursively) into a local datastore, grouped "
        "into series-level image sets as AWS HealthImaging does. Re-running an import adds only what is missing.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a DICOM file or a folder of them")
    parser.add_argument(
        "--datastore",
        default=DEFAULT_DATASTORE,
        metavar="NAME_OR_ID",
        help=f"datastore to import into, created when the name is new (default: {DEFAULT_DATASTORE!r})",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from imageset_search.datastores.local.importer import import_paths
    from imageset_search.server.backends import open_datastore

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise CommandError(
            f"no such file or folder: {', '.join(map(shown, missing))}; give existing DICOM files or folders"
        )
    store = open_datastore("local", args.db)
    datastore_id, created = open_or_create(store, args.datastore)
    progress = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = import_paths(store, datastore_id, args.paths, progress=progress)
    finally:  # also on Ctrl-C, so what follows starts on a line of its own
        if progress:
            progress.finish()
    name = store.get_datastore(datastore_id)["datastoreProperties"]["datastoreName"]
    print(summary(report, name, datastore_id, created))
    return 0


def open_or_create(store, name_or_id: str) -> tuple[str, bool]:
    """The datastore's id, and whether it was created now. An unknown id is an error, not a new datastore's name.
    Another import that creates the same name at the same moment wins the race; this one then imports into it."""
    from imageset_search.datastores.errors import ConflictException, ResourceNotFoundException

    try:
        return store.resolve_datastore(name_or_id), False
    except ResourceNotFoundException:
        if is_id(name_or_id):
            raise CommandError(
                f"no datastore has id {name_or_id}; give an existing datastore's id, or a name to create a new one"
            ) from None
        try:
            return store.create_datastore(name_or_id), True
        except ConflictException as clash:
            try:
                return store.resolve_datastore(name_or_id), False
            except ResourceNotFoundException:
                raise clash from None  # not the name taken meanwhile: the file was busy


def summary(report, name: str, datastore_id: str, created: bool) -> str:
    """One paragraph of counts, then each skipped file with its reason."""
    where = f"new datastore {name!r}" if created else f"datastore {name!r}"
    lines = [
        f"Imported {counted(report.instances_added, 'instance')} from {counted(report.files_seen, 'file')} into "
        f"{where} ({datastore_id}): {counted(report.image_sets_created, 'image set')} created, "
        f"{report.image_sets_updated} updated, {counted(report.duplicates, 'instance')} already stored, "
        f"{counted(len(report.skipped), 'file')} skipped."
    ]
    lines += [f"  skipped {shown(path)}: {reason}" for path, reason in report.skipped[:LISTED_SKIPS]]
    rest = Counter(reason for _path, reason in report.skipped[LISTED_SKIPS:])
    lines += [f"  and {count} more skipped: {reason}" for reason, count in sorted(rest.items())]
    return "\n".join(lines)


def shown(path: str) -> str:
    """A path as it may reach a terminal: as it is when every character prints as itself, else escaped repr-style,
    so that a file name holding a newline or a terminal escape cannot write lines of its own (a fake summary)."""
    return path if path.isprintable() else repr(path)


class ProgressLine:
    """`importing: 120/4000 files (3%)`, rewritten in place on a terminal each time the percentage changes."""

    def __init__(self, stream):
        self.stream = stream
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != self.shown:
            self.shown = percent
            self.stream.write(f"\rimporting: {done}/{total} files ({percent}%)")
            self.stream.flush()

    def finish(self) -> None:
        if self.shown >= 0:
            self.stream.write("\n")
            self.stream.flush()
