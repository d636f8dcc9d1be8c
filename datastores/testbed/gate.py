"""Who may talk to the local HealthImaging endpoint: the checks every request passes before any route runs.

The endpoint serves patient data on loopback, where any web page the user opens can reach it: directly (its Origin
is foreign), or through DNS rebinding (a name of the page's that resolves to 127.0.0.1, so the Host is foreign).
So a request is refused when its Host is not a name of the bound address and port (421, as the MCP server answers),
when it carries a foreign Origin (403), when it is not SigV4-signed in a well-formed way (Authorization header or
presigned query string: what boto3 and the AWS CLI send; the secret cannot be checked, so any key pair works), and
when it sends a body that is not declared JSON (a page can send text/plain without asking first; JSON it cannot).
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

CREDENTIAL = r"[A-Za-z0-9+/=_-]{1,128}/\d{8}/[a-z0-9-]{1,32}/[a-z0-9-]{1,64}/aws4_request"
SIGNED_HEADERS = r"[a-z0-9-]+(?:;[a-z0-9-]+)*"
AUTHORIZATION = re.compile(
    rf"AWS4-HMAC-SHA256 Credential=(?P<credential>{CREDENTIAL}), ?SignedHeaders=(?P<signed>{SIGNED_HEADERS}), ?"
    r"Signature=[0-9a-f]{64}"
)
HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(?P<port>\d{1,5}))?")
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
PRESIGNED_FIELDS = {
    "X-Amz-Algorithm": re.compile("AWS4-HMAC-SHA256"),
    "X-Amz-Credential": re.compile(CREDENTIAL),
    "X-Amz-Date": AMZ_DATE,
    "X-Amz-Expires": re.compile(r"[1-9]\d{0,5}"),
    "X-Amz-SignedHeaders": re.compile(SIGNED_HEADERS),
    "X-Amz-Signature": re.compile(r"[0-9a-f]{64}"),
}
JSON_TYPES = ("application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1")
UNSIGNED = (
    "the request is not SigV4-signed: sign it with AWS credentials, as boto3 and the AWS CLI do "
    "(this local endpoint accepts any key pair, e.g. AWS_ACCESS_KEY_ID=test)"
)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


class Gate:
    """The checks for an endpoint bound to `host`:`port`; `refusal(...)` is None for a request that may go on."""

    def __init__(self, host: str, port: int):
        self.port = port
        self.any_address = _is_wildcard(host)
        self.names = {_canonical(host)} | ({"localhost"} if is_loopback(host) else set())

    def refusal(self, headers, query: str, body: bytes) -> Refusal | None:
        return (
            self._host_refusal(headers.get_all("Host") or [])
            or self._origin_refusal(headers.get_all("Origin") or [])
            or self._signature_refusal(headers, query)
            or self._content_type_refusal(headers.get_all("Content-Type") or [], body)
        )

    def allows_host(self, host: str) -> bool:
        """True for `name:port` (or a bare `name` on port 80) where name is the bound address or, on loopback,
        localhost; on a wildcard bind, any address literal or localhost with the port."""
        match = HOST.fullmatch(host.strip().lower())
        if not match or (match["port"] or "80") != str(self.port):
            return False
        name = _canonical(match["name"])
        if self.any_address:
            return name == "localhost" or is_address(name)
        return name in self.names

    def _host_refusal(self, hosts: list[str]) -> Refusal | None:
        if len(hosts) == 1 and self.allows_host(hosts[0]):
            return None
        return Refusal(
            421, "MisdirectedRequestException",
            f"the Host header does not name this endpoint: send requests to the address it listens on, "
            f"port {self.port}",
        )  # fmt: skip

    def _origin_refusal(self, origins: list[str]) -> Refusal | None:
        if not origins:
            return None
        scheme, _, host = origins[0].partition("://")
        if len(origins) == 1 and scheme.lower() == "http" and self.allows_host(host):
            return None
        return Refusal(
            403, "AccessDeniedException",
            "requests from web pages of other origins are refused: call this endpoint with an AWS SDK or the AWS CLI",
        )  # fmt: skip

    def _signature_refusal(self, headers, query: str) -> Refusal | None:
        authorizations = headers.get_all("Authorization") or []
        if len(authorizations) == 1 and _well_formed_header(authorizations[0], headers.get_all("X-Amz-Date") or []):
            return None
        if not authorizations and _well_formed_presigned(query):
            return None
        return Refusal(403, "MissingAuthenticationTokenException", UNSIGNED)

    def _content_type_refusal(self, types: list[str], body: bytes) -> Refusal | None:
        declared = [kind.partition(";")[0].strip().lower() for kind in types]
        if (not body and not declared) or (len(declared) == 1 and declared[0] in JSON_TYPES):
            return None
        return Refusal(
            415, "UnsupportedMediaTypeException",
            "a request body must be declared JSON: send Content-Type: application/json",
        )  # fmt: skip


def _well_formed_header(authorization: str, dates: list[str]) -> bool:
    """A SigV4 Authorization header whose credential scope is dated as its one X-Amz-Date, and that signs host."""
    match = AUTHORIZATION.fullmatch(authorization)
    if not match or len(dates) != 1 or not AMZ_DATE.fullmatch(dates[0]):
        return False
    return match["credential"].split("/")[1] == dates[0][:8] and "host" in match["signed"].split(";")


def _well_formed_presigned(query: str) -> bool:
    """Every field of a presigned URL once and well-formed, the credential dated as X-Amz-Date, host signed."""
    fields = parse_qs(query, keep_blank_values=True)
    if any(
        len(fields.get(name, [])) != 1 or not shape.fullmatch(fields[name][0])
        for name, shape in PRESIGNED_FIELDS.items()
    ):
        return False
    dated = fields["X-Amz-Credential"][0].split("/")[1] == fields["X-Amz-Date"][0][:8]
    return dated and "host" in fields["X-Amz-SignedHeaders"][0].split(";")


def _canonical(name: str) -> str:
    """One spelling per address (`[0:0::1]` and `::1` alike), names lowercased."""
    bare = name.strip("[]").lower()
    return str(ipaddress.ip_address(bare)) if is_address(bare) else bare


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::") or (is_address(host) and ipaddress.ip_address(host).is_unspecified)


def is_loopback(host: str) -> bool:
    """localhost, or any spelling of a loopback address: all of 127/8, ::1 written any way, bracketed or not."""
    bare = host.strip("[]")
    return bare.lower() == "localhost" or (is_address(bare) and ipaddress.ip_address(bare).is_loopback)
