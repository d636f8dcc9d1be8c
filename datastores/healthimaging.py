"""AWS HealthImaging's limits and vocabulary, written once for the whole tree.

Every argument model, validator, codec and backend takes these facts from here rather than restating them, so they
cannot drift apart (a tool once accepted 64-character datastore ids and another 512). They are copied from botocore's
service model for `medical-imaging` and the SearchImageSets paginator; tests/test_healthimaging.py reads that model
and fails when a value here differs, so botocore, slow to import, stays out of the server's start-up.
"""

import re

ID_PATTERN = "[0-9a-z]{32}"  # datastoreId and imageSetId
ID_LENGTH = 32
ID_RE = re.compile(ID_PATTERN)

PAGE_MIN = 1  # maxResults of every paginated operation
PAGE_MAX = 50

VALUE_MAX_LENGTH = 512  # a DICOM id or UID in searchCriteria (DICOMPatientId ... DICOMSeriesInstanceUID)
UID_PATTERN = "[0-9.]+"  # DICOMStudyInstanceUID and DICOMSeriesInstanceUID
UID_RE = re.compile(UID_PATTERN)

TOKEN_MAX_LENGTH = 8192  # nextToken: 1 to this many ASCII characters

STUDY_DATE_MAX_LENGTH = 36  # DICOMStudyDateAndTime's DICOMStudyDate and DICOMStudyTime strings
STUDY_TIME_MAX_LENGTH = 56

FILTERS_MAX = 2  # searchCriteria.filters: none (every image set), one or two
VALUES_MAX = 2  # a filter's values: one for EQUAL, two for BETWEEN
OPERATORS = ("EQUAL", "BETWEEN")
ID_ATTRIBUTES = (
    "DICOMPatientId",
    "DICOMAccessionNumber",
    "DICOMStudyId",
    "DICOMStudyInstanceUID",
    "DICOMSeriesInstanceUID",
)
UID_ATTRIBUTES = ("DICOMStudyInstanceUID", "DICOMSeriesInstanceUID")
INSTANT_ATTRIBUTES = ("createdAt", "updatedAt")
SEARCH_ATTRIBUTES = (*ID_ATTRIBUTES, *INSTANT_ATTRIBUTES, "DICOMStudyDateAndTime", "isPrimary")
SORT_FIELDS = ("updatedAt", "createdAt", "DICOMStudyDateAndTime")
SORT_ORDERS = ("ASC", "DESC")

DICOM_TAGS = (  # the keys of an image set summary's DICOMTags, in the order the local datastore writes them
    "DICOMPatientId",
    "DICOMPatientName",
    "DICOMPatientBirthDate",
    "DICOMPatientSex",
    "DICOMStudyInstanceUID",
    "DICOMStudyId",
    "DICOMStudyDescription",
    "DICOMAccessionNumber",
    "DICOMStudyDate",
    "DICOMStudyTime",
    "DICOMSeriesInstanceUID",
    "DICOMSeriesModality",
    "DICOMSeriesBodyPart",
    "DICOMSeriesNumber",
    "DICOMNumberOfStudyRelatedSeries",
    "DICOMNumberOfStudyRelatedInstances",
)

DATASTORE_STATUSES = ("CREATING", "CREATE_FAILED", "ACTIVE", "DELETING", "DELETED")

NON_AGGREGATE_KEYS = ("sort",)  # what the SearchImageSets paginator keeps from the first page besides the items


def is_id(value: object) -> bool:
    """True for a datastore or image set id as the service takes it (32 characters of [0-9a-z])."""
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None
