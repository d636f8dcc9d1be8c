"""How requests to a DICOMweb archive prove who sends them: none, HTTP basic, a bearer token, or AWS SigV4.

Secrets are never options' values: basic's password and the bearer token are read from environment variables named
by the options (so they stay out of process listings, shell history and MCP host configs), and SigV4 credentials
come from the standard AWS chain. Nothing here logs or repeats a secret; an error names the variable, never its value.
"""

import os
from dataclasses import dataclass

from imageset_search.datastores.errors import CredentialsError, ValidationException

KINDS = ("none", "basic", "bearer", "sigv4")
SIGV4_SERVICE = "medical-imaging"
# Headers a proxy or the HTTP library may change on the way; the signature covers the rest that matters.
UNSIGNED_HEADERS = ("user-agent", "accept-encoding", "connection", "content-length")


@dataclass(frozen=True)
class Auth:
    """The authentication settings: `kind` is one of KINDS; the others are read only by the kind that needs them."""

    kind: str = "none"
    username: str | None = None
    password_env: str | None = None  # basic: the variable holding the password
    token_env: str | None = None  # bearer: the variable holding the token
    region: str | None = None  # sigv4
    profile: str | None = None  # sigv4

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValidationException(f"unknown DICOMweb auth {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.kind == "basic" and not (self.username and self.password_env):
            raise ValidationException("basic auth needs a user name and the name of the variable holding the password")
        if self.kind == "bearer" and not self.token_env:
            raise ValidationException("bearer auth needs the name of the environment variable holding the token")

    def requests_auth(self):
        """The `requests` auth object for a session (None for no auth); secrets are read now, from the environment."""
        if self.kind == "basic":
            from requests.auth import HTTPBasicAuth

            return HTTPBasicAuth(self.username, _secret(self.password_env, "password"))
        if self.kind == "bearer":
            return Bearer(_secret(self.token_env, "token"))
        if self.kind == "sigv4":
            return sigv4(self.region, self.profile)
        return None


def _secret(variable: str, what: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise CredentialsError(
            f"the environment variable {variable} holds no {what}: set it before starting the server"
        )
    return value


class Bearer:
    """`Authorization: Bearer <token>` on every request (a requests auth hook)."""

    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:  # never the token
        return "Bearer(<hidden>)"


class SigV4:
    """Signs each request with AWS Signature Version 4 for HealthImaging's DICOMweb APIs, which the SDKs do not
    offer: botocore's SigV4Auth over an AWSRequest copy of the request, its headers copied back."""

    def __init__(self, credentials, region: str):
        self._credentials = credentials
        self.region = region

    def __call__(self, request):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = {name: value for name, value in request.headers.items() if name.lower() not in UNSIGNED_HEADERS}
        copy = AWSRequest(method=request.method, url=request.url, data=request.body or b"", headers=signed)
        SigV4Auth(self._credentials.get_frozen_credentials(), SIGV4_SERVICE, self.region).add_auth(copy)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
            if name in copy.headers:
                request.headers[name] = copy.headers[name]
        return request

    def __repr__(self) -> str:
        return f"SigV4(region={self.region})"


def sigv4(region: str | None, profile: str | None) -> SigV4:
    """SigV4 with credentials and region from the standard AWS chain (profile, environment, SSO, instance role)."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    credentials = session.get_credentials()
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found to sign DICOMweb requests: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
        )
    chosen = region or os.environ.get("AWS_REGION") or session.get_config_variable("region")
    if not chosen:
        raise ValidationException("SigV4 needs an AWS Region to sign for: pass --region or set AWS_REGION")
    return SigV4(credentials, chosen)
