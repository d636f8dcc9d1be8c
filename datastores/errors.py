"""The error kinds AWS HealthImaging names, shared by every datastore.

Each datastore raises these (the local one directly, the AWS one by mapping botocore's ClientError), so the tool
layer, the command line and the local HTTP endpoint handle one set of errors whatever the backend. `code` is the
AWS error code (the `x-amzn-ErrorType` header) and `status` its HTTP status.
"""


class DatastoreError(Exception):
    """Base of every error a datastore raises on purpose; the message says what was wrong and what is allowed."""

    code = "InternalServerException"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationException(DatastoreError):
    code = "ValidationException"
    status = 400


class AccessDeniedException(DatastoreError):
    code = "AccessDeniedException"
    status = 403


class ResourceNotFoundException(DatastoreError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(DatastoreError):
    code = "ConflictException"
    status = 409


class ThrottlingException(DatastoreError):
    code = "ThrottlingException"
    status = 429


class InternalServerException(DatastoreError):
    code = "InternalServerException"
    status = 500


class ServiceUnavailableException(DatastoreError):
    """Not reachable: connection refused, timed out or dropped (no HTTP answer, or a 503)."""

    code = "ServiceUnavailableException"
    status = 503


class CredentialsError(DatastoreError):
    """No usable AWS credentials (missing or expired); the message says how to get or refresh them."""

    code = "UnrecognizedClientException"
    status = 403


ERROR_CLASSES = {
    cls.code: cls
    for cls in (
        ValidationException,
        AccessDeniedException,
        ResourceNotFoundException,
        ConflictException,
        ThrottlingException,
        InternalServerException,
        ServiceUnavailableException,
        CredentialsError,
    )
}
