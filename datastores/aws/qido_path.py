"""The AWS backend's DICOMweb path: refinements SearchImageSets cannot search, narrowed to studies by QIDO-RS.

HealthImaging's SearchDICOMStudies matches ModalitiesInStudy and PatientName (among others) that SearchImageSets
has no filter for. So a search for "MR studies of 2019" or "patient name X" asks QIDO-RS for the matching studies
(the search's own filters go along where QIDO-RS has the same attribute: StudyDate, PatientID, ...), then takes the
image sets of each study from SearchImageSets by DICOMStudyInstanceUID, with the search's filter and sort. The
answer NARROWS: the studies match, not necessarily each image set, so the server checks each summary as before.

Order: study by study, studies as QIDO-RS lists them (last update, newest first), each study's image sets in the
search's sort; so this path is taken only for the default sort (updatedAt, newest first). Its token is this
module's own: the study's place in the QIDO-RS order (and its UID, checked on resume), plus the SearchImageSets
token inside the study; the study list is kept for a few minutes in this process so one walk sees one order.

Where the path could drop image sets it is not taken, and the response says why (`refinementsNote`), and the plain
scan runs instead (a superset too, since the server checks each summary): more than 10,000 matching studies (QIDO-RS
returns no more), a search for non-primary image sets (QIDO-RS lists primary ones only), two filters already
(SearchImageSets takes two, and the study UID would be a third), a sort other than the default, a name query that
is not plain letters and digits (the archive matches names its own way: accents and scripts differ), or QIDO-RS
refused (no permission for SearchDICOMStudies).
"""

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from imageset_search.datastores import capabilities as caps
from imageset_search.datastores.dicomweb import dicom_json
from imageset_search.datastores.dicomweb.qido import name_wildcard
from imageset_search.datastores.errors import AccessDeniedException, CredentialsError, ValidationException

MAX_RECORDS = 10_000
STUDY_BLOCK = 100  # studies asked of QIDO-RS per call
LIST_SECONDS = 300  # how long a study list is reused in this process
LIST_BLOCKS = 256  # at most this many blocks kept (about 100 UIDs each), the newest
TOKEN_PREFIX = "qido~"
SCAN_PREFIX = "scan~"  # + the reason's number + "~" + SearchImageSets' own token
SORTED = "QIDO-RS lists studies by last update only, so a search with another sort is scanned"
TWO_FILTERS = "the search has two filters already (SearchImageSets' limit), so it is scanned"
UNPLAIN_NAME = "the name has letters beyond a-z and 0-9, which archives match their own way, so it is scanned"
NOTHING_MATCHED = "nothing asked is matched by QIDO-RS at the study level, so it is scanned"
BY_UID = "a UID filter already narrows the search to one study or series, so it is scanned"
NON_PRIMARY = "QIDO-RS lists primary image sets only, so a search for non-primary ones is scanned"
TOO_MANY = "QIDO-RS returns at most 10,000 studies and more match, so it is scanned"
REFUSED = "QIDO-RS (SearchDICOMStudies) was refused with these credentials, so it is scanned"
REASONS = (SORTED, TWO_FILTERS, UNPLAIN_NAME, NOTHING_MATCHED, BY_UID, NON_PRIMARY, TOO_MANY, REFUSED)
PLAIN_WORD = re.compile(r"[a-z0-9]+")
# SearchImageSets' ID filters that QIDO-RS matches the same way at the study level.
SAME_KEYS = {"DICOMPatientId": "PatientID", "DICOMAccessionNumber": "AccessionNumber", "DICOMStudyId": "StudyID"}
CAPABILITIES = {
    caps.MODALITY: caps.Capability(caps.ANY_OF, caps.NARROWS),
    caps.PATIENT_NAME: caps.Capability(caps.WORDS, caps.NARROWS),
}

SearchPage = Callable[[dict[str, Any] | None, int | None, str | None], dict[str, Any]]


@dataclass(frozen=True)
class Narrowing:
    """The QIDO-RS study query for one search (`keys`), or why there is none (`reason`)."""

    keys: dict[str, str]
    reason: str | None = None


def narrowing(criteria: dict[str, Any] | None, refinements: dict[str, Any]) -> Narrowing:
    """What QIDO-RS can narrow for this search, or the reason the plain scan is the honest answer."""
    criteria = criteria or {}
    filters = criteria.get("filters") or []
    sort = criteria.get("sort")
    if sort and (sort.get("sortField"), sort.get("sortOrder")) != ("updatedAt", "DESC"):
        return Narrowing({}, SORTED)
    if len(filters) > 1:
        return Narrowing({}, TWO_FILTERS)
    keys: dict[str, str] = {}
    modality = refinements.get(caps.MODALITY) or []
    if len(modality) == 1 and PLAIN_WORD.fullmatch(modality[0].lower()):
        keys["ModalitiesInStudy"] = modality[0].upper()
    name = refinements.get(caps.PATIENT_NAME)
    if name:
        wildcard = name_wildcard(name)
        if wildcard is None:
            return Narrowing({}, UNPLAIN_NAME)
        keys["PatientName"] = wildcard
    if not keys:
        return Narrowing({}, NOTHING_MATCHED)
    for search_filter in filters:
        ((attribute, value),) = search_filter["values"][0].items()
        if attribute in ("DICOMStudyInstanceUID", "DICOMSeriesInstanceUID"):
            return Narrowing({}, BY_UID)
        if attribute == "isPrimary" and value is False:
            return Narrowing({}, NON_PRIMARY)
        keys.update(_same_keys(attribute, search_filter))
    return Narrowing(keys)


def _same_keys(attribute: str, search_filter: dict[str, Any]) -> dict[str, str]:
    """QIDO-RS keys that narrow the studies as this SearchImageSets filter narrows the image sets (a superset)."""
    values = [value[attribute] for value in search_filter["values"]]
    if attribute == "DICOMStudyDateAndTime":
        days = [value["DICOMStudyDate"] for value in values]
        return {"StudyDate": days[0] if len(days) == 1 else f"{days[0]}-{days[1]}"}
    if attribute in SAME_KEYS and search_filter["operator"] == "EQUAL" and PLAIN_WORD.fullmatch(str(values[0]).lower()):
        return {SAME_KEYS[attribute]: values[0]}
    return {}


@dataclass(frozen=True)
class Place:
    """Where a walk is: the study's index in the QIDO-RS order, its UID (None: not yet seen) and the
    SearchImageSets token inside it."""

    index: int = 0
    study: str | None = None
    inner: str | None = None

    def token(self, query_hash: str) -> str:
        body = json.dumps([query_hash, self.index, self.study, self.inner], separators=(",", ":")).encode()
        return TOKEN_PREFIX + base64.urlsafe_b64encode(body).decode().rstrip("=")

    @classmethod
    def read(cls, token: str, query_hash: str) -> "Place":
        try:
            raw = token[len(TOKEN_PREFIX) :]
            issued_for, index, study, inner = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if not isinstance(index, int) or index < 0:
                raise ValueError
        except (ValueError, TypeError):
            raise ValidationException("nextToken is damaged: start the search again without it") from None
        if issued_for != query_hash:
            raise ValidationException("nextToken was issued for another search: send the same criteria, or none")
        return cls(index, study, inner)


class StudyLists:
    """The QIDO-RS study order of recent searches in this process, a block at a time, so one walk sees one order
    (archives need not keep their order between calls)."""

    def __init__(self):
        self._blocks: dict[tuple[str, str, int], tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def block(self, client, datastore_id: str, keys: dict[str, str], start: int) -> list[str]:
        """The UIDs of the studies at [start, start + STUDY_BLOCK) of the order (fewer at its end)."""
        cache_key = (datastore_id, json.dumps(keys, sort_keys=True), start)
        now = time.monotonic()
        with self._lock:
            fresh = sorted((v[0], k) for k, v in self._blocks.items() if now - v[0] < LIST_SECONDS)
            self._blocks = {k: self._blocks[k] for _, k in fresh[-LIST_BLOCKS:]}
            if cache_key in self._blocks:
                return self._blocks[cache_key][1]
        records = client.studies(keys, limit=STUDY_BLOCK, offset=start, fuzzy="PatientName" in keys)
        uids = [dicom_json.value(record, "StudyInstanceUID") for record in records]
        with self._lock:
            self._blocks[cache_key] = (now, uids)
        return uids


class QidoPath:
    """One AWS datastore's DICOMweb search path (see the module docstring); `clients(datastore_id)` gives the
    QidoClient for a datastore."""

    def __init__(self, clients: Callable[[str], Any]):
        self._clients = clients
        self._lists = StudyLists()

    def search(
        self,
        datastore_id: str,
        criteria: dict[str, Any] | None,
        refinements: dict[str, Any],
        max_results: int | None,
        next_token: str | None,
        search_page: SearchPage,
    ) -> dict[str, Any]:
        """A SearchImageSets-shaped page for a search with refinements: narrowed by QIDO-RS, or the plain scan."""
        if next_token is not None and next_token.startswith(SCAN_PREFIX):
            reason, inner = _scan_place(next_token)
            return _scanned(search_page(criteria, max_results, inner), reason)
        plan = narrowing(criteria, refinements)
        if next_token is None and plan.reason is None:
            plan = self._checked(datastore_id, plan)
        if plan.reason is not None:
            if next_token is not None:
                raise ValidationException("nextToken was issued for another search: send the same criteria, or none")
            return _scanned(search_page(criteria, max_results, None), plan.reason)
        query_hash = _hash(datastore_id, criteria, refinements)
        place = Place.read(next_token, query_hash) if next_token else Place()
        return self._page(datastore_id, criteria, plan.keys, place, max_results, search_page, query_hash)

    def _checked(self, datastore_id: str, plan: Narrowing) -> Narrowing:
        """The plan, or the scan's reason when QIDO-RS cannot answer it whole: refused, or over 10,000 studies."""
        client = self._clients(datastore_id)
        try:
            first = self._lists.block(client, datastore_id, plan.keys, 0)
            if len(first) == STUDY_BLOCK and client.studies(plan.keys, limit=1, offset=MAX_RECORDS - 1):
                return Narrowing({}, TOO_MANY)
        except (AccessDeniedException, CredentialsError):
            return Narrowing({}, REFUSED)
        return plan

    def _page(self, datastore_id, criteria, keys, place: Place, max_results, search_page, query_hash) -> dict[str, Any]:
        """The image sets of the study at `place`, one SearchImageSets page of them; the token moves on to the
        next study when this one is done."""
        client = self._clients(datastore_id)
        start = place.index - place.index % STUDY_BLOCK
        block = self._lists.block(client, datastore_id, keys, start)
        offset = place.index - start
        if offset >= len(block):
            return {"imageSetsMetadataSummaries": [], "sort": _default_sort()}
        study = block[offset]
        if place.study is not None and study != place.study:
            raise ValidationException(
                "the archive's study order changed since this nextToken was issued: start the search again"
            )
        page = search_page(_in_study(criteria, study), max_results, place.inner)
        following = self._following(client, datastore_id, keys, place.index, study, page.get("nextToken"), block)
        response = {key: value for key, value in page.items() if key != "nextToken"}
        if following is not None:
            response["nextToken"] = following.token(query_hash)
        return response

    def _following(self, client, datastore_id, keys, index, study, inner, block) -> Place | None:
        if inner:
            return Place(index, study, inner)
        offset = index % STUDY_BLOCK + 1
        if offset < len(block):
            return Place(index + 1, block[offset])
        if len(block) == STUDY_BLOCK and index + 1 < MAX_RECORDS:
            following = self._lists.block(client, datastore_id, keys, index + 1)
            return Place(index + 1, following[0]) if following else None
        return None


def _scanned(page: dict[str, Any], reason: str) -> dict[str, Any]:
    """A plain SearchImageSets page, saying why it is the scan; its token remembers the reason for later pages."""
    response = {**page, "refinementsNote": reason}
    if page.get("nextToken"):
        response["nextToken"] = f"{SCAN_PREFIX}{REASONS.index(reason)}~{page['nextToken']}"
    return response


def _scan_place(token: str) -> tuple[str, str]:
    number, _, inner = token[len(SCAN_PREFIX) :].partition("~")
    if not number.isdigit() or int(number) >= len(REASONS) or not inner:
        raise ValidationException("nextToken is damaged: start the search again without it")
    return REASONS[int(number)], inner


def _in_study(criteria: dict[str, Any] | None, study_uid: str) -> dict[str, Any]:
    """The search's criteria with the study's UID as one more filter (the caller keeps it at two)."""
    criteria = dict(criteria or {})
    study_filter = {"values": [{"DICOMStudyInstanceUID": study_uid}], "operator": "EQUAL"}
    criteria["filters"] = [study_filter, *(criteria.get("filters") or [])]
    return criteria


def _default_sort() -> dict[str, str]:
    return {"sortField": "updatedAt", "sortOrder": "DESC"}


def _hash(datastore_id: str, criteria: Any, refinements: Any) -> str:
    text = json.dumps([datastore_id, criteria, refinements], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
