"""The streamable HTTP transport, and the rule that keeps it safe: off loopback, a bearer token or no start.

On 127.0.0.1 the SDK's DNS-rebinding protection refuses foreign Host (421) and Origin (403) headers. Any other bind
address can be reached by other machines, so it requires a shared bearer token, checked in constant time before a
request reaches the MCP app; without the token the server refuses to start.
"""

import hmac
import ipaddress

from imageset_search.server.errors import CommandError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerTokenGate:
    """ASGI middleware: HTTP requests without `Authorization: Bearer <token>` get 401 and go no further."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

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
        sent = dict(scope.get("headers") or []).get(b"authorization", b"")
        return hmac.compare_digest(sent, self.expected)


def http_app(server, host: str, token: str | None):
    """The ASGI app for `host`: the SDK's streamable HTTP app, behind the token gate when a token is set."""
    if not token and not is_loopback(host):
        raise CommandError(
            f"binding {host} exposes the server to other machines: set a bearer token with --auth-token-env VAR "
            "(VAR names an environment variable that holds it), or bind 127.0.0.1"
        )
    app = server.streamable_http_app(host=host)
    return BearerTokenGate(app, token) if token else app


def serve_http(server, host: str, port: int, token: str | None) -> None:
    import uvicorn

    uvicorn.run(http_app(server, host, token), host=host, port=port, log_level="warning")
