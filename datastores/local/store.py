"""The embedded local datastore: several HealthImaging-style datastores in one SQLite file.

`LocalStore` implements the Datastore protocol with boto3's request and response shapes, and the writes the
importer and the demo generator need (`create_datastore`, `add_instances`, `delete_datastore`). It is safe to share
between threads: each call takes a connection from a small pool for its one transaction, and WAL mode gives every
search a consistent snapshot while an import writes (in this process or another), so a reader never sees half an
image set (each `add_instances` call is one transaction). The file must be on a local disk (SQLite WAL needs shared
memory), not ":memory:".

Behaviour where HealthImaging is silent (see also criteria.py, search.py, studytime.py):
- two filters AND together, also two on the same attribute; EQUAL on DICOMStudyDateAndTime without a time matches
  the whole day; an empty EQUAL value on an ID attribute matches image sets without that attribute;
- ties on the sort key are broken by imageSetId in the sort's direction;
- image sets without a study date never match a study-date filter and sort first in ASC, last in DESC;
- the study counts in DICOMTags count the primary image sets of the study and their instances;
- datastore names are unique within a file (a second one with the same name is a ConflictException), so a name
  resolves to one datastore;
- ListImageSetVersions lists the newest version first; ListDatastores lists in creation order; an image set's
  first version has workflow status IMPORTED, later ones UPDATED;
- EQUAL on createdAt/updatedAt matches that exact millisecond; filter instants outside the years 1-9999 are refused.
"""

import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores import tokens
from imageset_search.datastores.capabilities import check_refinements
from imageset_search.datastores.criteria import parse_criteria
from imageset_search.datastores.errors import (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ValidationException,
)
from imageset_search.datastores.instants import now_millis
from imageset_search.datastores.local import qido
from imageset_search.datastores.local.ingest import AddResult, add_instances
from imageset_search.datastores.local.records import Instance
from imageset_search.datastores.local.refined import CAPABILITIES, forget_unused, refine
from imageset_search.datastores.local.schema import BUSY_TIMEOUT_SECONDS, connect, ensure_schema, token_secret
from imageset_search.datastores.local.search import pack_cursor, read_page, unpack_cursor
from imageset_search.datastores.local.shapes import datastore_fields, image_set_arn, metadata_document, version_fields
from imageset_search.datastores.local.summary import check_instance
from imageset_search.datastores.validation import check_id, check_page_size, check_token_text, invalid

__all__ = ["LocalStore", "AddResult"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9._/#-]{1,256}")
VERSION_PATTERN = re.compile(r"\d+")
MAX_DIGITS = 18  # every number of up to 18 digits fits SQLite's 64-bit integers
HOW_TO_CREATE = "create one with `imageset-search import PATH --datastore NAME` or `imageset-search demo-data`"
LISTED_DATASTORES = 10


def _new_id() -> str:
    return uuid.uuid4().hex


class LocalStore:
    capabilities = CAPABILITIES  # it searches every refinement itself, exactly (refined.py)

    def __init__(self, path: str | Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS):
        """Open the SQLite file at `path`, creating it (and its folders) with the current schema if it is new.
        A write waits up to `busy_timeout` seconds for another process's write to finish."""
        self.path = Path(path).expanduser()
        self.busy_timeout = busy_timeout
        _create_private(self.path)
        self._idle: list[sqlite3.Connection] = []
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            with self._checkout() as connection:
                ensure_schema(connection)
                self._secret = token_secret(connection)
                self._signer = tokens.TokenSigner(self._secret)
        except BaseException:
            self.close()
            raise

    def token_secret(self) -> bytes:
        """The secret this file keeps: it signs the tools' tokens over this store too, so they outlive the process
        and a token of another file with the same datastore id is refused."""
        return self._secret

    def _read_token(self, kind: int, scope: str, next_token: Any) -> bytes:
        """The payload of a nextToken this file issued for `scope`; ValidationException, as the service's, if not."""
        try:
            return self._signer.read(kind, check_token_text("nextToken", next_token), scope)
        except tokens.TokenError as exc:
            if exc.reason == "scope":
                raise invalid(
                    "nextToken",
                    "the nextToken was issued for different search criteria; send the same request as the call "
                    "that returned it, or start again without nextToken",
                ) from None
            raise invalid(
                "nextToken",
                "Member must be a nextToken returned by a previous call to this datastore; this one is damaged, "
                "truncated or from elsewhere (start again without nextToken)",
            ) from None

    # -- connections and transactions ------------------------------------------------------------------------------

    @contextmanager
    def _checkout(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread's use until the block ends: reused from a pool, so a threaded server that
        starts a thread per request opens no more connections than it runs requests at once."""
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._open()
        try:
            yield connection
        finally:
            with self._lock:
                self._idle.append(connection)

    def _open(self) -> sqlite3.Connection:
        try:
            connection = connect(self.path, self.busy_timeout)
        except sqlite3.Error as error:
            raise InternalServerException(
                f"Cannot open the local datastore file {self.path} ({error}): "
                "pass --db with a writable SQLite file path"
            ) from None
        with self._lock:
            self._opened.append(connection)
        return connection

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every query inside sees the same committed snapshot."""
        with self._checkout() as connection:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("COMMIT")

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (no lock upgrade to deadlock on), all or nothing."""
        with self._checkout() as connection:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._read_only(exc) or ConflictException(
                    f"The local datastore file is busy: another write held it for over {self.busy_timeout:g} s; "
                    "try again when that import has finished"
                ) from None
            try:
                yield connection
            except sqlite3.OperationalError as exc:
                connection.execute("ROLLBACK")
                refusal = self._read_only(exc)
                if refusal is None:
                    raise
                raise refusal from None
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _read_only(self, error: sqlite3.OperationalError) -> AccessDeniedException | None:
        """The refusal for a write to a file this process may only read; None for any other error."""
        if (getattr(error, "sqlite_errorcode", 0) & 0xFF) != sqlite3.SQLITE_READONLY:
            return None
        return AccessDeniedException(
            f"The local datastore file {self.path} is read-only: make it writable, or pass --db with a writable copy"
        )

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
            self._idle.clear()

    def __enter__(self) -> "LocalStore":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- datastores ------------------------------------------------------------------------------------------------

    def create_datastore(self, name: str, datastore_id: str | None = None, now: datetime | None = None) -> str:
        """A new empty datastore; its id is random unless given. Duplicate ids and names are ConflictExceptions."""
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise invalid("datastoreName", "Member must be 1-256 characters from A-Z a-z 0-9 . _ / # -", shown=name)
        datastore_id = _new_id() if datastore_id is None else check_id("datastoreId", datastore_id)
        millis = now_millis(now)
        with self._writing() as connection:
            clash = connection.execute(
                "SELECT id, name FROM datastores WHERE id = ? OR name = ?", (datastore_id, name)
            ).fetchone()
            if clash:
                what = f"id {datastore_id}" if clash[0] == datastore_id else f"name {name!r}"
                raise ConflictException(f"A datastore with the {what} already exists in this local store; pick another")
            connection.execute(
                "INSERT INTO datastores (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (datastore_id, name, millis, millis),
            )
        return datastore_id

    def delete_datastore(self, datastore_id: str, missing_ok: bool = False) -> None:
        """Remove a datastore and everything in it, in one transaction (the demo generator rebuilds its own)."""
        with self._writing() as connection:
            try:
                ds = self._ds(connection, datastore_id)
            except ResourceNotFoundException:
                if missing_ok:
                    return
                raise
            owned = "SELECT pk FROM image_sets WHERE ds = ?"
            connection.execute(f"DELETE FROM instances WHERE image_set IN ({owned})", (ds,))
            connection.execute(f"DELETE FROM versions WHERE image_set IN ({owned})", (ds,))
            connection.execute("DELETE FROM image_sets WHERE ds = ?", (ds,))
            connection.execute("DELETE FROM datastores WHERE ds = ?", (ds,))
            forget_unused(connection)

    def resolve_datastore(self, name_or_id: str | None = None) -> str:
        """The id of the datastore with this id or name (None: the file's only datastore); ResourceNotFoundException
        listing the known ones otherwise."""
        with self._reading() as connection:
            if name_or_id is None:
                return self._only_datastore(connection)
            row = connection.execute(
                "SELECT id FROM datastores WHERE id = ? OR name = ? ORDER BY id = ? DESC",
                (name_or_id, name_or_id, name_or_id),
            ).fetchone()
            if row:
                return row[0]
            raise self._not_found(connection, f"No datastore has the id or name {str(name_or_id)[:256]!r}")

    def _only_datastore(self, connection: sqlite3.Connection) -> str:
        rows = connection.execute("SELECT id FROM datastores LIMIT 2").fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if rows:
            raise ValidationException(f"This local store has several datastores: name one. {self._known(connection)}")
        raise self._not_found(connection, "No datastore given")

    def _ds(self, connection: sqlite3.Connection, datastore_id: Any) -> int:
        """The internal key of a datastore id, after checking the id's form."""
        check_id("datastoreId", datastore_id)
        row = connection.execute("SELECT ds FROM datastores WHERE id = ?", (datastore_id,)).fetchone()
        if row is None:
            raise self._not_found(connection, f"Datastore {datastore_id} does not exist in this local store")
        return row[0]

    def _not_found(self, connection: sqlite3.Connection, first: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(f"{first}. {self._known(connection)}")

    def _known(self, connection: sqlite3.Connection) -> str:
        """A sentence naming the datastores this file holds (up to ten), and how to make one."""
        rows = connection.execute(
            "SELECT id, name FROM datastores ORDER BY ds LIMIT ?", (LISTED_DATASTORES + 1,)
        ).fetchall()
        if not rows:
            return f"This local store has no datastores yet: {HOW_TO_CREATE}"
        known = ", ".join(f"{i} ({n})" for i, n in rows[:LISTED_DATASTORES])
        more = ", ..." if len(rows) > LISTED_DATASTORES else ""
        return f"Known datastores: {known}{more}; or {HOW_TO_CREATE}"

    def list_datastores(
        self, datastore_status: str | None = None, max_results: int | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        if datastore_status is not None and datastore_status not in service.DATASTORE_STATUSES:
            raise invalid(
                "datastoreStatus",
                f"Member must satisfy enum value set: [{', '.join(service.DATASTORE_STATUSES)}]",
                shown=datastore_status,
            )
        limit = _page_size(max_results)
        scope = f"datastores:{datastore_status}"
        after = 0
        if next_token is not None:
            payload = self._read_token(tokens.DATASTORES, scope, next_token)
            after = int.from_bytes(payload, "big")
        if datastore_status not in (None, "ACTIVE"):
            return {"datastoreSummaries": []}
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT ds, id, name, created_at, updated_at FROM datastores WHERE ds > ? ORDER BY ds LIMIT ?",
                (after, limit + 1),
            ).fetchall()
        response: dict[str, Any] = {"datastoreSummaries": [datastore_fields(*row[1:]) for row in rows[:limit]]}
        if len(rows) > limit:
            response["nextToken"] = self._signer.issue(tokens.DATASTORES, rows[limit - 1][0].to_bytes(8, "big"), scope)
        return response

    def get_datastore(self, datastore_id: str) -> dict[str, Any]:
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            row = connection.execute(
                "SELECT ds, id, name, created_at, updated_at FROM datastores WHERE ds = ?", (ds,)
            ).fetchone()
        return {"datastoreProperties": datastore_fields(*row[1:])}

    def count_image_sets(self, datastore_id: str) -> int:
        """How many image sets a datastore holds (AWS has no such call; list_datastores shows it where known)."""
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            return connection.execute("SELECT COUNT(*) FROM image_sets WHERE ds = ?", (ds,)).fetchone()[0]

    # -- writing image sets ----------------------------------------------------------------------------------------

    def add_instances(
        self,
        datastore_id: str,
        instances: Sequence[Instance],
        now: datetime | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> AddResult:
        """File instances into image sets in ONE transaction: all of them, or (on any error) none."""
        for position, instance in enumerate(instances):
            check_instance(position, instance)
        id_maker = _checked_ids(new_id or _new_id)
        millis = now_millis(now)
        with self._writing() as connection:
            ds = self._ds(connection, datastore_id)
            return add_instances(connection, ds, instances, millis, id_maker)

    # -- reading image sets ----------------------------------------------------------------------------------------

    def search_image_sets(
        self,
        datastore_id: str,
        search_criteria: dict[str, Any] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        refinements: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """SearchImageSets, and with `refinements` (datastores.capabilities) the image sets that match them too."""
        check_id("datastoreId", datastore_id)
        query = refine(parse_criteria(search_criteria), check_refinements(refinements, self.capabilities))
        limit = _page_size(max_results)
        scope = f"search:{datastore_id}:{query.canonical()}"
        after = None
        if next_token is not None:
            payload = self._read_token(tokens.SEARCH, scope, next_token)
            after = unpack_cursor(query, payload)
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            summaries, next_cursor = read_page(connection, ds, query, limit, after)
        response: dict[str, Any] = {"imageSetsMetadataSummaries": summaries, "sort": query.echo_sort()}
        if next_cursor is not None:
            response["nextToken"] = self._signer.issue(tokens.SEARCH, pack_cursor(query, next_cursor), scope)
        return response

    def get_image_set(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> dict[str, Any]:
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            image_set = self._image_set(connection, ds, datastore_id, image_set_id)
            version = self._version(connection, image_set, version_id)
        return {
            "datastoreId": datastore_id,
            **version_fields(image_set, version["version"], version["updated_at"]),
            "imageSetArn": image_set_arn(datastore_id, image_set["id"]),
            "storageTier": "FREQUENT_ACCESS",
        }

    def get_image_set_metadata(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> bytes:
        """The version's metadata document as gzip-compressed JSON, as AWS sends it (boto3 does not unzip it)."""
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            image_set = self._image_set(connection, ds, datastore_id, image_set_id)
            version = self._version(connection, image_set, version_id)
            instances = connection.execute(
                "SELECT sop_uid, doc FROM instances WHERE image_set = ? AND version <= ? ORDER BY sop_uid",
                (image_set["pk"], version["version"]),
            ).fetchall()
        return metadata_document(datastore_id, image_set, version["levels"], instances)

    def list_image_set_versions(
        self, datastore_id: str, image_set_id: str, max_results: int | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        limit = _page_size(max_results)
        scope = f"versions:{datastore_id}:{image_set_id}"
        below = None
        if next_token is not None:
            below = int.from_bytes(self._read_token(tokens.VERSIONS, scope, next_token), "big")
        with self._reading() as connection:
            ds = self._ds(connection, datastore_id)
            image_set = self._image_set(connection, ds, datastore_id, image_set_id)
            rows = connection.execute(
                "SELECT version, updated_at FROM versions WHERE image_set = ? AND version < ? "
                "ORDER BY version DESC LIMIT ?",
                (image_set["pk"], image_set["version"] + 1 if below is None else below, limit + 1),
            ).fetchall()
        listed = [version_fields(image_set, v, u, status_key="ImageSetWorkflowStatus") for v, u in rows[:limit]]
        response: dict[str, Any] = {"imageSetPropertiesList": listed}
        if len(rows) > limit:
            response["nextToken"] = self._signer.issue(tokens.VERSIONS, rows[limit - 1][0].to_bytes(4, "big"), scope)
        return response

    # -- QIDO-RS, as HealthImaging's DICOMweb APIs answer it (see qido.py) ---------------------------------------------

    def search_dicom_studies(self, datastore_id: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """SearchDICOMStudies: DICOM JSON study records matching the QIDO-RS query parameters."""
        with self._reading() as connection:
            return qido.studies(connection, self._ds(connection, datastore_id), params)

    def search_dicom_series(self, datastore_id: str, study_uid: str, params: dict[str, str]) -> list[dict[str, Any]]:
        with self._reading() as connection:
            return qido.series(connection, self._ds(connection, datastore_id), study_uid, params)

    def search_dicom_instances(
        self, datastore_id: str, study_uid: str, series_uid: str, params: dict[str, str]
    ) -> list[dict[str, Any]]:
        with self._reading() as connection:
            return qido.instances(connection, self._ds(connection, datastore_id), study_uid, series_uid, params)

    def _image_set(
        self, connection: sqlite3.Connection, ds: int, datastore_id: str, image_set_id: Any
    ) -> dict[str, Any]:
        check_id("imageSetId", image_set_id)
        row = connection.execute(
            "SELECT pk, id, version, created_at, is_primary, series_uid FROM image_sets WHERE ds = ? AND id = ?",
            (ds, image_set_id),
        ).fetchone()
        if row is None:
            raise ResourceNotFoundException(f"Image set {image_set_id} does not exist in datastore {datastore_id}")
        return dict(zip(("pk", "id", "version", "created_at", "is_primary", "series_uid"), row))

    def _version(self, connection: sqlite3.Connection, image_set: dict[str, Any], version_id: Any) -> dict[str, Any]:
        """The requested version's row (the latest when `version_id` is None)."""
        if version_id is None:
            number = image_set["version"]
        elif isinstance(version_id, str) and VERSION_PATTERN.fullmatch(version_id) and len(version_id) <= MAX_DIGITS:
            number = int(version_id)
        else:
            raise invalid(
                "versionId", f"Member must be a version number as a string of up to {MAX_DIGITS} digits, e.g. '1'"
            )
        row = connection.execute(
            "SELECT version, updated_at, levels FROM versions WHERE image_set = ? AND version = ?",
            (image_set["pk"], number),
        ).fetchone()
        if row is None:
            raise ResourceNotFoundException(
                f"Image set {image_set['id']} has no version {number}; its versions are 1 to {image_set['version']}"
            )
        return dict(zip(("version", "updated_at", "levels"), row))


def _create_private(path: Path) -> None:
    """Make a new store file readable by its owner only (it holds patient data); SQLite gives its -wal and -shm
    files the same permissions. An existing file keeps the permissions its owner chose."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise InternalServerException(
            f"Cannot create the local datastore file {path} ({error.strerror}): pass --db with a writable file path"
        ) from None


def _page_size(max_results: Any) -> int:
    """maxResults as every paginated operation takes it: 1-50, 50 when not given."""
    return service.PAGE_MAX if max_results is None else check_page_size("maxResults", max_results)


def _checked_ids(new_id: Callable[[], str]) -> Callable[[], str]:
    """`new_id`, refusing ids that are not 32 characters [0-9a-z] (they could never be looked up again)."""

    def checked() -> str:
        value = new_id()
        if not service.is_id(value):
            raise ValueError("new_id() must return 32 characters from [0-9a-z], such as uuid.uuid4().hex")
        return value

    return checked
