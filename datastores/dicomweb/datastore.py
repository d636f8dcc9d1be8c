"""Any DICOMweb archive (Orthanc, dcm4chee, Google Cloud Healthcare, Azure) as a datastore, over QIDO-RS and WADO-RS.

The archive is one datastore (its id derived from the URL). Each series is one primary image set, version 1, whose
id is derived from the series UID (the same series has the same id on every run); studies and patients are read
from QIDO-RS's series records. What HealthImaging has and DICOMweb lacks is left out rather than made up: a series
has no createdAt or updatedAt, so searches by them, and sorts other than the archive's own order, are refused with
a sentence saying so.

Search: the filters become QIDO-RS keys where the archive can match them (patient ID, accession number, study ID,
study and series UIDs, study date) and are also checked exactly here on each record, since archives match their own
way (case, wildcards); modality and patient name go to QIDO-RS as `Modality` and `PatientName=*word*` and narrow:
the server checks each summary again. Paging is QIDO-RS `limit`/`offset` in the archive's order. The token holds the
offset and the UID of the last series before it; resuming re-reads that series first and refuses to go on if it
moved, so a series added or removed before the place between two calls is a clear error, never a repeat or a gap.
(Changes that cancel out before the place, one removed and one added, cannot be seen: nothing in QIDO-RS can tell.)
"""

import base64
import gzip
import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from imageset_search.datastores import capabilities as caps
from imageset_search.datastores.dicomweb import dicom_json
from imageset_search.datastores.dicomweb.qido import QidoClient, QidoOptions, name_wildcard
from imageset_search.datastores.errors import ResourceNotFoundException, ValidationException
from imageset_search.datastores.healthimaging import PAGE_MAX
from imageset_search.datastores.studytime import DAY_END, DAY_START, study_key
from imageset_search.datastores.tokens import InstallationSecret

RESOLVE_PAGE = 200  # series per QIDO-RS call when an unknown image set id is looked for
RESOLVE_LIMIT = 10_000  # series looked through before an id is declared unknown
PLAIN = re.compile(r"[A-Za-z0-9._-]+")
# DICOMTags key -> DICOM keyword, as a series record carries them (study and patient ones by includefield).
SUMMARY_KEYWORDS = {
    "DICOMPatientId": "PatientID",
    "DICOMPatientName": "PatientName",
    "DICOMPatientBirthDate": "PatientBirthDate",
    "DICOMPatientSex": "PatientSex",
    "DICOMStudyInstanceUID": "StudyInstanceUID",
    "DICOMStudyId": "StudyID",
    "DICOMStudyDescription": "StudyDescription",
    "DICOMAccessionNumber": "AccessionNumber",
    "DICOMStudyDate": "StudyDate",
    "DICOMStudyTime": "StudyTime",
    "DICOMSeriesInstanceUID": "SeriesInstanceUID",
    "DICOMSeriesModality": "Modality",
    "DICOMSeriesBodyPart": "BodyPartExamined",
    "DICOMSeriesNumber": "SeriesNumber",
}
INCLUDED = [k for k in SUMMARY_KEYWORDS.values() if k not in ("StudyInstanceUID", "SeriesInstanceUID", "Modality")]
# SearchImageSets filter attribute -> QIDO-RS key the archive matches it with.
FILTER_KEYS = {
    "DICOMPatientId": "PatientID",
    "DICOMAccessionNumber": "AccessionNumber",
    "DICOMStudyId": "StudyID",
    "DICOMStudyInstanceUID": "StudyInstanceUID",
    "DICOMSeriesInstanceUID": "SeriesInstanceUID",
}
NO_TIMES = (
    "a DICOMweb archive does not record when a series was created or updated: search by study date or an ID instead"
)
CAPABILITIES = {
    caps.MODALITY: caps.Capability(caps.ANY_OF, caps.NARROWS),
    caps.PATIENT_NAME: caps.Capability(caps.WORDS, caps.NARROWS),
}


def _id(text: str) -> str:
    """32 lower-case hex characters derived from `text`: the form HealthImaging's ids have."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def image_set_id(series_uid: str) -> str:
    return _id("series:" + series_uid)


class DicomwebDatastore:
    """The Datastore protocol over a DICOMweb archive (see the module docstring)."""

    capabilities = CAPABILITIES

    def __init__(self, options: QidoOptions, token_secret_file: Path | None = None):
        """`token_secret_file`: where the installation's secret that signs the tools' tokens is kept (None: this
        process's own, so tokens do not outlive it)."""
        self.client = QidoClient(options)
        self.token_secret_file = token_secret_file
        self._secret = InstallationSecret(token_secret_file)
        parts = urlsplit(options.url)
        self.datastore_id = _id("dicomweb:" + options.url.rstrip("/"))
        self.name = "dicomweb-" + re.sub(r"[^A-Za-z0-9._-]", "-", parts.hostname or "archive")
        self._series: dict[str, tuple[str, str]] = {}  # image set id -> (study UID, series UID), as searches saw them
        self._lock = threading.Lock()

    def token_secret(self) -> bytes:
        """The secret that signs the tools' tokens over this archive (read, or created, on first use)."""
        return self._secret.get()

    # -- datastores ------------------------------------------------------------------------------------------------

    def _summary(self) -> dict[str, Any]:
        return {"datastoreId": self.datastore_id, "datastoreName": self.name, "datastoreStatus": "ACTIVE"}

    def list_datastores(self, datastore_status=None, max_results=None, next_token=None) -> dict[str, Any]:
        shown = datastore_status in (None, "ACTIVE")
        return {"datastoreSummaries": [self._summary()] if shown else []}

    def get_datastore(self, datastore_id: str) -> dict[str, Any]:
        self._check(datastore_id)
        return {"datastoreProperties": self._summary()}

    def resolve_datastore(self, name_or_id: str | None = None) -> str:
        if name_or_id in (None, self.datastore_id, self.name):
            return self.datastore_id
        raise ResourceNotFoundException(
            f"this server reaches one DICOMweb archive, datastore {self.datastore_id} ({self.name})"
        )

    def _check(self, datastore_id: Any) -> None:
        if datastore_id != self.datastore_id:
            raise ResourceNotFoundException(
                f"Datastore {str(datastore_id)[:40]} is not this DICOMweb archive, whose id is {self.datastore_id}"
            )

    # -- search ----------------------------------------------------------------------------------------------------

    def search_image_sets(
        self,
        datastore_id: str,
        search_criteria: dict[str, Any] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        refinements: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._check(datastore_id)
        refinements = caps.check_refinements(refinements, self.capabilities)
        size = PAGE_MAX if max_results is None else max_results
        if not 1 <= size <= PAGE_MAX:
            raise ValidationException(f"maxResults must be between 1 and {PAGE_MAX}")
        keys, checks, nothing = _query(search_criteria or {}, refinements)
        response: dict[str, Any] = {"imageSetsMetadataSummaries": []}
        if nothing:
            return response
        query_hash = _id(json.dumps([search_criteria, refinements], sort_keys=True, default=str))[:12]
        offset, last = _read_token(next_token, query_hash) if next_token else (0, None)
        start = offset - 1 if last else offset
        records = self.client.series(
            None, keys, limit=size + (1 if last else 0), offset=start, fuzzy="PatientName" in keys, fields=INCLUDED
        )
        if last:
            if not records or dicom_json.value(records[0], "SeriesInstanceUID") != last:
                raise ValidationException(
                    "the archive's series order changed since this nextToken was issued (series were added or "
                    "removed): start the search again, as going on could repeat or skip image sets"
                )
            records = records[1:]
        summaries = [summary for summary in map(self._remember, records) if all(check(summary) for check in checks)]
        response["imageSetsMetadataSummaries"] = summaries
        if len(records) == size:
            following = offset + len(records)
            response["nextToken"] = _token(query_hash, following, dicom_json.value(records[-1], "SeriesInstanceUID"))
        return response

    def _remember(self, record: dict[str, Any]) -> dict[str, Any]:
        summary = summary_of(record)
        tags = summary["DICOMTags"]
        with self._lock:
            self._series[summary["imageSetId"]] = (
                tags.get("DICOMStudyInstanceUID", ""),
                tags["DICOMSeriesInstanceUID"],
            )
        return summary

    # -- one image set ---------------------------------------------------------------------------------------------

    def get_image_set(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> dict[str, Any]:
        self._where(datastore_id, image_set_id, version_id)
        return {
            "datastoreId": datastore_id,
            "imageSetId": image_set_id,
            "versionId": "1",
            "imageSetState": "ACTIVE",
            "imageSetWorkflowStatus": "IMPORTED",
            "isPrimary": True,
        }

    def get_image_set_metadata(self, datastore_id: str, image_set_id: str, version_id: str | None = None) -> bytes:
        """HealthImaging's metadata document, built from the series' WADO-RS metadata (bulk data left out)."""
        study_uid, series_uid = self._where(datastore_id, image_set_id, version_id)
        instances = [attributes(record) for record in self.client.series_metadata(study_uid, series_uid)]
        document = metadata_document(datastore_id, image_set_id, series_uid, instances)
        return gzip.compress(json.dumps(document, ensure_ascii=False).encode(), mtime=0)

    def list_image_set_versions(self, datastore_id, image_set_id, max_results=None, next_token=None) -> dict[str, Any]:
        self._where(datastore_id, image_set_id, None)
        version = {"imageSetId": image_set_id, "versionId": "1", "imageSetState": "ACTIVE", "isPrimary": True}
        return {"imageSetPropertiesList": [{**version, "ImageSetWorkflowStatus": "IMPORTED"}]}

    def _where(self, datastore_id: str, image_set_id: Any, version_id: Any) -> tuple[str, str]:
        """(study UID, series UID) of an image set id: remembered from a search, else looked for in the archive."""
        self._check(datastore_id)
        if version_id not in (None, "1"):
            raise ResourceNotFoundException("an image set of a DICOMweb archive has one version, 1")
        with self._lock:
            found = self._series.get(image_set_id)
        for offset in range(0, RESOLVE_LIMIT, RESOLVE_PAGE):
            if found is not None:
                return found
            records = self.client.series(None, {}, limit=RESOLVE_PAGE, offset=offset)
            for record in records:
                self._remember(record)
            with self._lock:
                found = self._series.get(image_set_id)
            if len(records) < RESOLVE_PAGE:
                break
        if found is not None:
            return found
        raise ResourceNotFoundException(
            f"no series of this DICOMweb archive has image set id {str(image_set_id)[:40]}: take ids from a search"
        )


# -- searching, record by record --------------------------------------------------------------------------------------


def _query(criteria: dict[str, Any], refinements: dict[str, Any]):
    """(QIDO-RS keys, exact checks on each summary, True when nothing can match) for one search."""
    sort = criteria.get("sort")
    if sort and (sort.get("sortField"), sort.get("sortOrder")) != ("updatedAt", "DESC"):
        raise ValidationException("a DICOMweb archive lists series in its own order, and only so: drop the sort")
    keys: dict[str, Any] = {}
    checks = []
    for search_filter in criteria.get("filters") or []:
        (attribute, value), *_ = search_filter["values"][0].items()
        if attribute in ("createdAt", "updatedAt"):
            raise ValidationException(NO_TIMES)
        if attribute == "isPrimary":
            if value is False:
                return {}, [], True  # every series of an archive is a primary image set
            continue
        if attribute == "DICOMStudyDateAndTime":
            keys["StudyDate"], check = _study_dates(search_filter)
        else:
            keys.update({FILTER_KEYS[attribute]: value} if value and PLAIN.fullmatch(str(value)) else {})
            check = _equal(attribute, value)
        checks.append(check)
    modality = refinements.get(caps.MODALITY) or []
    if len(modality) == 1 and PLAIN.fullmatch(modality[0]):
        keys["Modality"] = modality[0].upper()
    name = refinements.get(caps.PATIENT_NAME)
    wildcard = name_wildcard(name) if name else None
    if wildcard:
        keys["PatientName"] = wildcard
    return keys, checks, False


def _equal(attribute: str, wanted: Any):
    """EQUAL as SearchImageSets means it: the exact value; an empty one matches series without the attribute."""
    return lambda summary: (summary["DICOMTags"].get(attribute) or "") == (wanted or "")


def _study_dates(search_filter: dict[str, Any]):
    """The QIDO-RS StudyDate range for a DICOMStudyDateAndTime filter, and its exact check (time included), with
    the local datastore's rules: a bound without a time is 00:00, EQUAL without a time is the whole day."""
    values = [value["DICOMStudyDateAndTime"] for value in search_filter["values"]]
    if search_filter["operator"] == "EQUAL" and not values[0].get("DICOMStudyTime"):
        values = [dict(values[0], DICOMStudyTime=DAY_START), dict(values[0], DICOMStudyTime=DAY_END)]
    low, high = (study_key(value["DICOMStudyDate"], value.get("DICOMStudyTime")) for value in (values[0], values[-1]))

    def check(summary):
        tags = summary["DICOMTags"]
        key = study_key(tags.get("DICOMStudyDate"), tags.get("DICOMStudyTime"))
        return bool(key) and low <= key <= high

    return f"{low[:8]}-{high[:8]}", check


def summary_of(record: dict[str, Any]) -> dict[str, Any]:
    """An ImageSetsMetadataSummary for one QIDO-RS series record (no createdAt/updatedAt: DICOMweb has none)."""
    tags = {}
    for key, keyword in SUMMARY_KEYWORDS.items():
        value = dicom_json.value(record, keyword)
        if value not in (None, ""):
            tags[key] = int(value) if key == "DICOMSeriesNumber" and str(value).lstrip("-").isdigit() else value
    series_uid = tags.get("DICOMSeriesInstanceUID", "")
    return {"imageSetId": image_set_id(series_uid), "version": 1, "isPrimary": True, "DICOMTags": tags}


def _token(query_hash: str, offset: int, last_uid: str | None) -> str:
    body = json.dumps([query_hash, offset, last_uid], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def _read_token(token: str, query_hash: str) -> tuple[int, str | None]:
    try:
        issued_for, offset, last = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, TypeError):
        raise ValidationException("nextToken is damaged: start the search again without it") from None
    if issued_for != query_hash:
        raise ValidationException("nextToken was issued for another search: send the same criteria, or none")
    return offset, last


# -- metadata ---------------------------------------------------------------------------------------------------------


def attributes(record: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """A DICOM JSON object as keyword -> (VR, value): one value alone, several as a list, sequences as lists of
    such objects, person names by their alphabetic form; bulk data and private tags are left out."""
    found = {}
    for tag, element in record.items():
        keyword = dicom_json.keyword_of(tag)
        if not keyword or "Value" not in element:
            continue
        vr = element.get("vr", "UN")
        values = element["Value"]
        if vr == "SQ":
            values = [{k: v for k, (_, v) in attributes(item).items()} for item in values]
            found[keyword] = (vr, values)
            continue
        values = [v.get("Alphabetic", "") if isinstance(v, dict) else v for v in values]
        found[keyword] = (vr, values[0] if len(values) == 1 else values)
    return found


def metadata_document(
    datastore_id: str, image_set_id: str, series_uid: str, instances: list[dict[str, tuple[str, Any]]]
) -> dict[str, Any]:
    """HealthImaging's metadata layout: patient, study and series attributes once (from the first instance that has
    each), every instance's own under its SOP Instance UID."""
    from imageset_search.datastores.local.dicom_instance import PATIENT_KEYWORDS, SERIES_KEYWORDS, STUDY_KEYWORDS

    levels: dict[str, dict[str, Any]] = {"Patient": {}, "Study": {}, "Series": {}}
    nodes = {}
    for instance in instances:
        own, vrs = {}, {}
        for keyword, (vr, value) in instance.items():
            level = (
                "Patient" if keyword in PATIENT_KEYWORDS else "Study" if keyword in STUDY_KEYWORDS
                else "Series" if keyword in SERIES_KEYWORDS else None
            )  # fmt: skip
            if level is None:
                own[keyword], vrs[keyword] = value, vr
            else:
                levels[level].setdefault(keyword, value)
        sop_uid = own.get("SOPInstanceUID", "")
        nodes[sop_uid] = {"DICOM": own, "DICOMVRs": vrs, "ImageFrames": []}
    return {
        "SchemaVersion": "1.1",
        "DatastoreID": datastore_id,
        "ImageSetID": image_set_id,
        "Patient": {"DICOM": levels["Patient"]},
        "Study": {
            "DICOM": levels["Study"],
            "Series": {series_uid: {"DICOM": levels["Series"], "Instances": dict(sorted(nodes.items()))}},
        },
    }
