"""The stdio transport, with a reply to every line it cannot read.

The SDK's stdio reader hands a line that does not parse (truncated, a raw NUL byte, a lone surrogate, nested past
its parser's depth) or that is not one JSON-RPC message (a batch, an object of other keys) to the session as an
exception, and the session drops it: the client waits for an answer forever, where over HTTP the same line gets a
400 with a JSON-RPC error. Here each such line gets that error as a reply on stdout, with id null (the line's id
cannot be trusted): -32700 when it is not JSON, -32600 when it is JSON but not one message. The fix belongs in the
SDK's reader; until it is there, this relay between the reader and the session does it.
"""

import anyio
import mcp_types as types
from mcp.server.stdio import stdio_server
from mcp.shared._context_streams import create_context_streams
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

NOT_JSON = "Parse error: the line is not JSON (truncated, a control character, a lone surrogate, or nested too deep)"
NOT_A_MESSAGE = "Invalid Request: send one JSON-RPC 2.0 message per line (batches are not accepted)"


def error_reply(exc: Exception) -> SessionMessage:
    """The JSON-RPC error for a line the reader refused; its text names no part of the line."""
    not_json = not isinstance(exc, ValidationError) or any(
        error["type"].startswith("json_") for error in exc.errors(include_url=False, include_input=False)
    )
    error = types.ErrorData(code=types.PARSE_ERROR, message=NOT_JSON) if not_json else types.ErrorData(
        code=types.INVALID_REQUEST, message=NOT_A_MESSAGE
    )
    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=None, error=error))


async def serve_stdio(lowlevel) -> None:
    """Run the SDK's low-level server `lowlevel` over stdin and stdout until stdin closes."""
    async with stdio_server() as (read_stream, write_stream):
        checked_writer, checked = create_context_streams[SessionMessage | Exception](0)

        async def relay():
            async with checked_writer:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        await write_stream.send(error_reply(item))
                    else:
                        await checked_writer.send(item)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(relay)
            await lowlevel.run(checked, write_stream, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
