"""Logging to stderr (stdout belongs to the protocol on stdio), with patient data kept out at every level.

The project's own log lines never carry identifiers, names or UIDs. Libraries do: at DEBUG the MCP SDK, botocore and
the HTTP stacks log whole requests and responses. So `--debug` opens DEBUG for this project's loggers only and keeps
every other logger at INFO or above, where they log no payloads.
"""

import logging
import sys

PROJECT = "imageset_search"


def configure(debug: bool = False, level: str | None = None) -> None:
    base = getattr(logging, (level or "INFO").upper(), logging.INFO)
    logging.basicConfig(
        stream=sys.stderr,
        level=max(base, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.getLogger(PROJECT).setLevel(logging.DEBUG if debug else base)
    # The SDK logs every refused call's text at INFO; those texts are for the model, and the server logs its own.
    logging.getLogger("mcp.server.mcpserver.server").setLevel(max(base, logging.WARNING))
