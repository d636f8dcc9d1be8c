"""The streamable HTTP transport, and the rule that keeps it safe: off loopback, a bearer token or no start.

Without a token the server may bind only a loopback address (any spelling: 127.0.0.2, 0:0:0:0:0:0:0:1, localhost),
and then DNS-rebinding protection is always on, with the Host and Origin it accepts derived from the address and
port actually bound: the SDK turns it on by itself only for the exact strings 127.0.0.1, localhost and ::1, so any
other spelling let a web page read patient data. Any other bind address can be reached by other machines, so it
requires a shared bearer token, checked in constant time before a request reaches the MCP app.
"""

import hmac
import ipaddress

from imageset_search.datastores.testbed.gate import is_loopback  # one notion of loopback, serve-api's too
from imageset_search.server.errors import CommandError


def allowed_hosts(host: str, port: int) -> list[str]:
    """The Host values that name this server: the bind address as given, lowercased and in its canonical spelling
    (IPv6 in brackets), and localhost, each with the port. (The SDK compares them as exact strings.)"""
    bare = host.strip("[]")
    try:
        spellings = {bare, bare.lower(), str(ipaddress.ip_address(bare))}
    except ValueError:
        spellings = {bare, bare.lower()}
    names = sorted({f"[{name}]" if ":" in name else name for name in spellings | {"localhost"}})
    return [f"{name}:{port}" for name in names]


def rebinding_protection(host: str, port: int):
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = allowed_hosts(host, port)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"http://{name}" for name in hosts],
    )


class BearerTokenGate:
    """ASGI middleware: HTTP requests without one `Authorization: Bearer <token>` header get 401 and go no further.

    The scheme is matched without regard to case (RFC 6750 follows RFC 7235); two Authorization headers are refused
    rather than one of them picked."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = token.strip().encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self._authorized(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"error": "missing or wrong bearer token"}'})
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope) -> bool:
        sent = [value for name, value in scope.get("headers") or [] if name.lower() == b"authorization"]
        if len(sent) != 1:
            return False
        scheme, _, token = sent[0].strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.expected)


def http_app(server, host: str, port: int, token: str | None):
    """The ASGI app for `host:port`: the SDK's streamable HTTP app, behind the token gate when a token is set, with
    rebinding protection for this address and port when not."""
    if token is not None and not token.strip():
        raise CommandError("the bearer token is empty or only whitespace: set a real secret in the variable")
    if not token and not is_loopback(host):
        raise CommandError(
            f"binding {host} exposes the server to other machines: set a bearer token with --auth-token-env VAR "
            "(VAR names an environment variable that holds it), or bind 127.0.0.1"
        )
    if token:
        return BearerTokenGate(server.streamable_http_app(host=host), token)
    return server.streamable_http_app(host=host, transport_security=rebinding_protection(host, port))


def serve_http(server, host: str, port: int, token: str | None) -> None:
    import uvicorn

    uvicorn.run(http_app(server, host, port, token), host=host.strip("[]"), port=port, log_level="warning")
