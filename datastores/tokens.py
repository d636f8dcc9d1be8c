"""The one token codec: every continuation token this project issues is signed, compact, and spelt one way.

Three issuers use it: the local datastore's own nextTokens (SearchImageSets, ListImageSetVersions, ListDatastores),
the search tool's next_token and the search-image-sets command's NextToken. A token is, in base64url without padding,

    kind (1 byte) | scope digest (6 bytes, for a token bound to a scope) | payload | MAC (10 bytes)

The MAC is an HMAC-SHA256 under a secret that is never in the source: the local datastore keeps one in its SQLite
file, the AWS backend one per installation (`installation_secret`). So nobody can forge or alter a token without
the secret, and the kind, inside the MAC, keeps one issuer's token from being read by another. The scope digest binds
a token to the request it continues (datastore and criteria), so reuse with other criteria is told apart from damage.
The kind is also the format's version: a new layout takes a new kind, and old tokens are then refused as foreign.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path

from imageset_search.datastores.healthimaging import ID_LENGTH, TOKEN_MAX_LENGTH

log = logging.getLogger(__name__)

# The kinds, one per issuer and layout.
SEARCH = 1  # the local datastore's SearchImageSets nextToken
VERSIONS = 2  # the local datastore's ListImageSetVersions nextToken
DATASTORES = 3  # the local datastore's ListDatastores nextToken
TOOL_SEARCH = 4  # the search tool's next_token
CLI_RESUME = 5  # the search-image-sets command's NextToken

SCOPE_BYTES = 6
MAC_BYTES = 10
SECRET_BYTES = 32
ID_BYTES = 21  # a 32-character [0-9a-z] id read as a base-36 number fits in 166 bits
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class TokenError(ValueError):
    """A token that is not one this secret issued for this use. `reason`: "damaged" (forged, cut, foreign or of
    another kind) or "scope" (whole, but issued for another request); each issuer words its own message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TokenSigner:
    """Issues and reads the tokens of one secret."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def issue(self, kind: int, payload: bytes, scope: str | None = None) -> str:
        """A token carrying `payload` that only `read` with the same kind and scope accepts."""
        body = bytes([kind]) + (self._scope_digest(scope) if scope is not None else b"") + payload
        return b64url(body + self._mac(body))

    def read(self, kind: int, token: str, scope: str | None = None) -> bytes:
        """The payload of a token this secret issued with this kind and scope; TokenError otherwise."""
        raw = from_b64url(token)
        body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        start = 1 + (SCOPE_BYTES if scope is not None else 0)
        if len(body) < start or not hmac.compare_digest(mac, self._mac(body)) or body[0] != kind:
            raise TokenError("damaged")
        if scope is not None and not hmac.compare_digest(body[1:start], self._scope_digest(scope)):
            raise TokenError("scope")
        return body[start:]

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._secret, b"mac\0" + body, hashlib.sha256).digest()[:MAC_BYTES]

    def _scope_digest(self, scope: str) -> bytes:
        return hmac.new(self._secret, b"scope\0" + scope.encode("utf-8"), hashlib.sha256).digest()[:SCOPE_BYTES]


def b64url(raw: bytes) -> str:
    """base64url without padding: the one spelling of a token."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """The bytes of a token in its one spelling; TokenError for any other (stray characters, padding, spare bits)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("damaged") from None
    if b64url(raw) != text:
        raise TokenError("damaged")
    return raw


def pack_id(identifier: str) -> bytes:
    """A 32-character [0-9a-z] id (datastore, image set) in 21 bytes."""
    return int(identifier, 36).to_bytes(ID_BYTES, "big")


def unpack_id(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, digit = divmod(number, 36)
        digits.append(DIGITS[digit])
    if len(digits) > ID_LENGTH:
        raise TokenError("damaged")
    return "".join(reversed(digits)).rjust(ID_LENGTH, "0")


def pack_text(text: str | None) -> bytes:
    """A service token inside another token: absent (one byte), or its bytes with a length. Base64 text, as most
    services' tokens are, travels as the bytes it stands for, a quarter shorter than its text."""
    if text is None:
        return b"\0"
    for kind, (decode, encode) in enumerate(_TEXT_FORMS, start=1):
        try:
            raw = decode(text)
        except (binascii.Error, ValueError):
            continue
        if encode(raw) == text:
            return bytes([kind]) + len(raw).to_bytes(2, "big") + raw
    raw = text.encode()
    return bytes([len(_TEXT_FORMS) + 1]) + len(raw).to_bytes(2, "big") + raw


def unpack_text(data: bytes) -> tuple[str | None, bytes]:
    """(the service token, the bytes after it)."""
    kind = data[0] if data else -1
    if kind == 0:
        return None, data[1:]
    length = int.from_bytes(data[1:3], "big")
    raw, rest = data[3 : 3 + length], data[3 + length :]
    if not 1 <= kind <= len(_TEXT_FORMS) + 1 or len(raw) != length:
        raise TokenError("damaged")
    try:
        text = raw.decode() if kind == len(_TEXT_FORMS) + 1 else _TEXT_FORMS[kind - 1][1](raw)
    except UnicodeDecodeError:
        raise TokenError("damaged") from None
    if len(text) > TOKEN_MAX_LENGTH:  # a service token carried inside another: the service's own limit
        raise TokenError("damaged")
    return text, rest


_TEXT_FORMS = (
    (from_b64url, b64url),
    (lambda text: base64.b64decode(text, validate=True), lambda raw: base64.b64encode(raw).decode()),
)


_PROCESS_SECRET = secrets.token_bytes(SECRET_BYTES)


class InstallationSecret:
    """A backend's installation secret (see `installation_secret`), read or created on first use and then held: a
    server that never pages never touches the config folder."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._value: bytes | None = None

    def get(self) -> bytes:
        with self._lock:
            if self._value is None:
                self._value = installation_secret(self.path)
            return self._value


def installation_secret(path: Path | None) -> bytes:
    """The secret in `path`, created there on first use (0600, atomically, so two servers starting at once agree).

    Where no file can be kept (`path` None, a read-only or missing home), the secret of this process: tokens then
    work until the server stops and not after a restart, which the log says.
    """
    if path is None:
        return _PROCESS_SECRET
    try:
        return _read_secret(path) or _create_secret(path)
    except OSError as exc:
        log.warning(
            "no token secret could be kept in the config folder (%s); next_tokens will not survive a restart",
            type(exc).__name__,
        )
        return _PROCESS_SECRET


def _read_secret(path: Path) -> bytes | None:
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(secret) != SECRET_BYTES:
        raise OSError("the token secret file is not a secret this program wrote")
    return secret


def _create_secret(path: Path) -> bytes:
    """Write a new secret to a private file beside `path`, then link it into place: the first link wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(SECRET_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its secret
    finally:
        draft.unlink(missing_ok=True)
    secret = _read_secret(path)
    if secret is None:
        raise OSError("the token secret file vanished as it was created")
    return secret
