"""botocore's failures as the project's error kinds, in plain words, with AWS's error code kept.

The tool layer and the command line handle one set of errors (`datastores.errors`) whatever the backend, and an
MCP host shows a model only what a mapped error says, so every failure boto3 can raise becomes one of those kinds with
a message that says what to do next. Nothing here repeats a request's values: they can be patient data.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from imageset_search.datastores import errors
from imageset_search.datastores.aws.client import attempts_sent
from imageset_search.datastores.aws.validation import service_rule_error
from imageset_search.datastores.healthimaging import ID_PATTERN
from imageset_search.datastores.wording import counted

CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "RequestExpired",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
THROTTLING_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
ACCESS_CODES = {"AccessDeniedException", "AccessDenied"}
REFRESH_CREDENTIALS = (
    "refresh them with `aws sso login --profile NAME` (SSO), choose a profile with AWS_PROFILE or --profile, or set "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the server's environment"
)
RESOURCE_ID = re.compile(rf"\b{ID_PATTERN}\b")
VALUE_IN_REPORT = re.compile(r", value: .*?(?=, type:|, valid |$)", re.MULTILINE)


@dataclass(frozen=True)
class Call:
    """What was being done, for the message: the operation, the datastore, and where the client pointed."""

    operation: str
    datastore_id: str | None
    endpoint: str
    params: dict = field(default_factory=dict)  # the boto3 parameters sent, to re-check botocore's refusals

    @property
    def action(self) -> str:
        return f"medical-imaging:{self.operation}"

    @property
    def where(self) -> str:
        return f"datastore {self.datastore_id}" if self.datastore_id else "this account and region"


@contextmanager
def aws_errors(call: Call):
    """Run a boto3 call, re-raising whatever botocore throws as the matching `datastores.errors` kind."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        raise from_client_error(exc, call) from None
    except BotoCoreError as exc:
        raise from_botocore_error(exc, call) from None


def from_client_error(exc, call: Call) -> errors.DatastoreError:
    """An error the service answered: by its code, else by its HTTP status."""
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "")
    meta = exc.response.get("ResponseMetadata", {})
    status, attempts = meta.get("HTTPStatusCode", 500), meta.get("RetryAttempts", 0) + 1
    if code in THROTTLING_CODES or status == 429:
        return errors.ThrottlingException(
            f"{call.operation} was throttled after {counted(attempts, 'attempt')}; "
            "retry later or lower the request rate"
        )
    if code in CREDENTIAL_CODES:
        return errors.CredentialsError(f"AWS did not accept the credentials ({code}): {REFRESH_CREDENTIALS}")
    if code in ACCESS_CODES:
        return errors.AccessDeniedException(
            f"not allowed to call {call.action} on {call.where}: grant the IAM action {call.action} "
            f"(the read-only policy is in docs/aws.md). AWS said: {message}"
        )
    if code == "ResourceNotFoundException":
        return errors.ResourceNotFoundException(_naming_datastore(message, call))
    kind = errors.ERROR_CLASSES.get(code)
    if kind in (errors.InternalServerException, errors.ServiceUnavailableException) or status >= 500:
        kind = errors.ServiceUnavailableException if status == 503 else errors.InternalServerException
        return kind(
            f"{call.operation} failed on the service side after {counted(attempts, 'attempt')} ({code}): {message}"
        )
    if kind is not None:
        return kind(message)
    return errors.ValidationException(f"{call.operation} was rejected ({code or status}): {message}")


def _naming_datastore(message: str, call: Call) -> str:
    """Keep the service's words when they name the missing resource by its id; else add the datastore id."""
    if not call.datastore_id or RESOURCE_ID.search(message):
        return message
    return f"{message} (datastore {call.datastore_id}: list the ones you can use with ListDatastores)"


def from_botocore_error(exc, call: Call) -> errors.DatastoreError:
    """A failure on the client's side: bad parameters, no credentials or region, or no answer from the network."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ParamValidationError):
        return service_rule_error(call.params) or errors.ValidationException(
            f"1 validation error detected: {call.operation} parameters are invalid: {param_report(exc)}"
        )
    if isinstance(exc, _credential_errors(bx)):
        return errors.CredentialsError(f"no usable AWS credentials ({type(exc).__name__}): {REFRESH_CREDENTIALS}")
    if isinstance(exc, bx.NoRegionError):
        return errors.ValidationException(
            "no AWS region is configured: pass --region, set AWS_REGION, or give the AWS profile a region"
        )
    if isinstance(exc, bx.SSLError):
        return errors.ServiceUnavailableException(
            f"TLS to {call.endpoint} failed: pass --ca-bundle for a private CA (or --no-verify-ssl for a test endpoint)"
        )
    if isinstance(exc, (bx.ConnectionError, bx.HTTPClientError, bx.IncompleteReadError)):
        return errors.ServiceUnavailableException(
            f"{call.operation} got no answer from {call.endpoint} after {counted(attempts_sent(), 'attempt')} "
            f"({type(exc).__name__}): check the network and the endpoint URL, or raise --read-timeout"
        )
    return errors.InternalServerException(f"{call.operation} failed in the AWS client ({type(exc).__name__}): {exc}")


def _credential_errors(bx) -> tuple[type, ...]:
    """botocore's ways of having no usable credentials (LoginError, for `aws login`, exists in newer botocore only)."""
    kinds = (
        bx.NoCredentialsError,
        bx.PartialCredentialsError,
        bx.CredentialRetrievalError,
        bx.TokenRetrievalError,
        bx.NoAuthTokenError,
        bx.ProfileNotFound,
        bx.SSOError,
    )
    return kinds + ((bx.LoginError,) if hasattr(bx, "LoginError") else ())


def param_report(exc) -> str:
    """botocore's list of rejected parameters, one clause each, with the values taken out."""
    report = exc.kwargs.get("report", "")
    return "; ".join(line.strip() for line in VALUE_IN_REPORT.sub("", report).splitlines() if line.strip())
