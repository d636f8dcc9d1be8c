"""The streamable HTTP transport, and the rule that keeps it safe: off loopback, a bearer token or no start.

Without a token the server may bind only a loopback address (any spelling: 127.0.0.2, 0:0:0:0:0:0:0:1, localhost),
and then DNS-rebinding protection is always on, with the Host and Origin it accepts derived from the address and
port actually bound: the SDK turns it on by itself only for the exact strings 127.0.0.1, localhost and ::1, so any
other spelling let a web page read patient data. Any other bind address can be reached by other machines, so it
requires a shared bearer token, checked in constant time before a request reaches the MCP app.
"""

import hmac
import ipaddress
import json

from imageset_search.datastores.testbed.gate import is_loopback  # one notion of loopback, serve-api's too
from imageset_search.server.errors import CommandError
from imageset_search.tools.bounds import TOO_MANY_ITEMS, too_many_items


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


class ItemBound:
    """ASGI middleware: a POST whose body holds more keys and list items than any call may (counted by its commas,
    unparsed) gets 400 with a JSON-RPC error before the SDK parses it: the parse alone costs about a microsecond a
    key, 400 ms for the 4 MiB the SDK accepts. Bodies of undeclared or larger size go on to the SDK's own cap."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not _declared_small(scope):
            await self.app(scope, receive, send)
            return
        received = [await receive()]
        while received[-1]["type"] == "http.request" and received[-1].get("more_body"):
            received.append(await receive())
        if too_many_items(b"".join(message.get("body", b"") for message in received)):
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": TOO_MANY_ITEMS}}
            await send(
                {"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": json.dumps(error).encode()})
            return
        pending = iter(received)

        async def replay():
            return next(pending, None) or await receive()

        await self.app(scope, replay, send)


class PlainRefusals:
    """ASGI middleware: the SDK answers a body that is not JSON, or not one JSON-RPC message, with 400 and pydantic's
    own text, which quotes what was sent (`input_value={'SUBJECT08701': 1}`); that text is replaced by the same fixed
    words the stdio transport sends, which quote nothing."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[dict] = []

        async def send_plain(message):
            if message["type"] == "http.response.start" and message["status"] == 400:
                held.append(message)
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if not message.get("more_body"):
                    await _send_rewritten(send, held)
            else:
                await send(message)

        await self.app(scope, receive, send_plain)


async def _send_rewritten(send, held: list[dict]) -> None:
    from imageset_search.server.stdio import NOT_A_MESSAGE, NOT_JSON

    body = b"".join(message.get("body", b"") for message in held[1:])
    try:
        answer = json.loads(body)
        error = answer["error"]
    except (ValueError, KeyError, TypeError):
        error = None
    if isinstance(error, dict) and error.get("code") in (-32700, -32602):
        error["message"] = NOT_JSON if error["code"] == -32700 else NOT_A_MESSAGE
        error.pop("data", None)
        body = json.dumps(answer).encode()
    headers = [(name, value) for name, value in held[0].get("headers", []) if name.lower() != b"content-length"]
    await send({**held[0], "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _declared_small(scope) -> bool:
    from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE

    length = dict(scope.get("headers") or []).get(b"content-length", b"")
    return length.isdigit() and int(length) <= DEFAULT_MAX_REQUEST_BODY_SIZE


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
        return BearerTokenGate(PlainRefusals(ItemBound(server.streamable_http_app(host=host))), token)
    security = rebinding_protection(host, port)
    return PlainRefusals(ItemBound(server.streamable_http_app(host=host, transport_security=security)))


def serve_http(server, host: str, port: int, token: str | None) -> None:
    import uvicorn

    uvicorn.run(http_app(server, host, port, token), host=host.strip("[]"), port=port, log_level="warning")
