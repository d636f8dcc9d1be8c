"""The stdio transport, with a reply to every line it cannot read.

The SDK's stdio reader hands a line that does not parse (truncated, a raw NUL byte, a lone surrogate, nested past
its parser's depth) or that is not one JSON-RPC message (a batch, an object of other keys) to the session as an
exception, and the session drops it: the client waits for an answer forever, where over HTTP the same line gets a
400 with a JSON-RPC error. Here each such line gets that error as a reply on stdout, with id null (the line's id
cannot be trusted): -32700 when it is not JSON, -32600 when it is JSON but not one message. The fix belongs in the
SDK's reader; until it is there, this relay between the reader and the session does it. A line of more keys and
list items than any call holds is refused (-32600) before the SDK parses it, which alone would cost about a
microsecond a key.
"""

import io
import sys

import anyio
import mcp_types as types
from mcp.server.stdio import stdio_server
from mcp.shared._context_streams import create_context_streams
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from imageset_search.tools.bounds import TOO_MANY_ITEMS, too_many_items

OVERSIZED = '{"jsonrpc": "2.0", "method": "imageset/oversized"}\n'  # stands in for a line refused unparsed
NOT_JSON = "Parse error: the message is not JSON (truncated, a control character, a lone surrogate, or nested too deep)"
NOT_A_MESSAGE = "Invalid Request: send one JSON-RPC 2.0 message at a time (batches are not accepted)"


def error_reply(exc: Exception) -> SessionMessage:
    """The JSON-RPC error for a line the reader refused; its text names no part of the line."""
    not_json = not isinstance(exc, ValidationError) or any(
        error["type"].startswith("json_") for error in exc.errors(include_url=False, include_input=False)
    )
    error = (
        types.ErrorData(code=types.PARSE_ERROR, message=NOT_JSON)
        if not_json
        else types.ErrorData(code=types.INVALID_REQUEST, message=NOT_A_MESSAGE)
    )
    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=None, error=error))


class BoundedLines:
    """stdin's lines for the SDK's reader, a line of more keys and list items than any call holds replaced unparsed
    by the OVERSIZED notification: parsing it would cost the SDK about a microsecond a key."""

    def __init__(self, lines):
        self.lines = lines

    async def __aiter__(self):
        async for line in self.lines:
            yield OVERSIZED if too_many_items(line) else line


def _refusal(item) -> SessionMessage | None:
    """The reply the relay sends in the session's place, or None for a message the session should have."""
    if isinstance(item, Exception):
        return error_reply(item)
    message = item.message
    if isinstance(message, types.JSONRPCNotification) and message.method == "imageset/oversized":
        error = types.ErrorData(code=types.INVALID_REQUEST, message=TOO_MANY_ITEMS)
        return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=None, error=error))
    return None


async def serve_stdio(lowlevel) -> None:
    """Run the SDK's low-level server `lowlevel` over stdin and stdout until stdin closes."""
    stdin = anyio.wrap_file(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace"))
    async with stdio_server(stdin=BoundedLines(stdin)) as (read_stream, write_stream):
        checked_writer, checked = create_context_streams[SessionMessage | Exception](0)

        async def relay():
            async with checked_writer:
                async for item in read_stream:
                    refusal = _refusal(item)
                    if refusal:
                        await write_stream.send(refusal)
                    else:
                        await checked_writer.send(item)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(relay)
            await lowlevel.run(checked, write_stream, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
