"""Build the configured datastore: the embedded local one (default), AWS HealthImaging through boto3, or a DICOMweb
archive."""

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from imageset_search.datastores.protocol import Datastore


def open_datastore(backend: str = "local", db: str | Path | None = None, **aws_options: Any) -> Datastore:
    """`backend` is "local" (an SQLite file, see `server.config.db_path`), "aws" (options as AwsDatastore takes) or
    "dicomweb" (`options`: a QidoOptions)."""
    if backend == "local":
        from imageset_search.datastores.local.store import LocalStore
        from imageset_search.server.config import db_path

        return LocalStore(db_path(str(db) if db else None))
    if backend == "aws":
        from imageset_search.datastores.aws.datastore import AwsDatastore
        from imageset_search.server.config import token_secret_path

        return AwsDatastore(**{"token_secret_file": token_secret_path(), **aws_options})
    if backend == "dicomweb":
        from imageset_search.datastores.dicomweb.datastore import DicomwebDatastore
        from imageset_search.server.config import token_secret_path

        return DicomwebDatastore(**{"token_secret_file": token_secret_path(), **aws_options})
    raise ValueError(f"unknown backend {backend!r}: use 'local', 'aws' or 'dicomweb'")


@contextmanager
def opened(backend: str = "local", db: str | Path | None = None, **aws_options: Any) -> Iterator[Datastore]:
    """A datastore for the length of one command, closed afterwards when it can be (the local one holds SQLite
    connections)."""
    datastore = open_datastore(backend, db, **aws_options)
    try:
        yield datastore
    finally:
        close = getattr(datastore, "close", None)
        if callable(close):
            close()
