"""Opaque, compact, tamper-evident nextTokens, bound to the request that issued them.

A token is base64url(kind | scope digest | payload | MAC). The payload is the keyset cursor (where the next page
starts), never an offset, so it is independent of maxResults. The scope digest ties it to the request (datastore and
normalized criteria) so reuse with other criteria is told apart from forgery; the MAC, keyed by a secret kept in the
SQLite file, makes any change or truncation detectable and lets tokens survive a restart. Search tokens stay under
80 characters so callers can wrap them in their own tokens.
"""

import base64
import binascii
import hashlib
import hmac

from imageset_search.datastores.validation import invalid

SCOPE_BYTES = 6
MAC_BYTES = 10
ID_BYTES = 21  # a 32-character [0-9a-z] id read as a base-36 number fits in 166 bits
ID_LENGTH = 32
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

SEARCH = 1
VERSIONS = 2
DATASTORES = 3


class TokenSigner:
    def __init__(self, secret: bytes):
        self._secret = secret

    def issue(self, kind: int, scope: str, payload: bytes) -> str:
        """A token carrying `payload` that only `read` with the same kind and scope accepts."""
        body = bytes([kind]) + self._scope_digest(scope) + payload
        return _encode(body + self._mac(body))

    def read(self, kind: int, scope: str, token: str, path: str = "nextToken") -> bytes:
        """The payload of a token this store issued for `scope`; ValidationException if forged, cut or reused."""
        body = self._verified_body(token, path)
        if body[0] != kind:
            raise _damaged(path)
        if not hmac.compare_digest(body[1 : 1 + SCOPE_BYTES], self._scope_digest(scope)):
            raise invalid(
                path,
                "the nextToken was issued for different search criteria; send the same request as the call that "
                "returned it, or start again without nextToken",
            )
        return body[1 + SCOPE_BYTES :]

    def _verified_body(self, token: str, path: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise _damaged(path) from None
        if _encode(raw) != token:  # another spelling of the same bytes (stray characters, unused low bits)
            raise _damaged(path)
        body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if len(body) <= SCOPE_BYTES or not hmac.compare_digest(mac, self._mac(body)):
            raise _damaged(path)
        return body

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._secret, b"mac\0" + body, hashlib.sha256).digest()[:MAC_BYTES]

    def _scope_digest(self, scope: str) -> bytes:
        return hmac.new(self._secret, b"scope\0" + scope.encode("utf-8"), hashlib.sha256).digest()[:SCOPE_BYTES]


def _encode(raw: bytes) -> str:
    """base64url without padding: the one spelling of a token that `read` accepts."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _damaged(path: str):
    return invalid(
        path,
        "Member must be a nextToken returned by a previous call to this datastore; this one is damaged, truncated "
        "or from elsewhere (start again without nextToken)",
    )


def pack_id(image_set_id: str) -> bytes:
    """A 32-character [0-9a-z] id in 21 bytes."""
    return int(image_set_id, 36).to_bytes(ID_BYTES, "big")


def unpack_id(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, digit = divmod(number, 36)
        digits.append(DIGITS[digit])
    return "".join(reversed(digits)).rjust(ID_LENGTH, "0")
