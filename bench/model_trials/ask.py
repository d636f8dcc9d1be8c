"""Call one tool over stdio, as a host does, and print ONLY the channel one kind of host shows its model.

Usage:
  python bench/model_trials/ask.py --db trial.sqlite3 --view text TOOL '{"json": "arguments"}'
  python bench/model_trials/ask.py --db trial.sqlite3 --view structured --tools     (the tool list a model gets)
  python bench/model_trials/ask.py --tally trial-text.jsonl                         (calls and bytes so far)

Each call starts `imageset-search serve` (stdio, the given store), initializes, calls the tool and prints:
- `--view text`: the text content only (what claude.ai's local servers, MCP Apps hosts, Mastra, LibreChat and
  ollmcp give their model);
- `--view structured`: the structured content only, as compact JSON (what Claude Code gives its model).
An error result prints its text in both views (hosts show a tool error's text). Every call appends one line to the
log (`--log`, default trial-VIEW.jsonl): tool, arguments, bytes printed, is_error. `--tools` prints the tool list
(names, descriptions, input schemas) and is not counted as a call.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client


def server(db: Path) -> StdioServerParameters:
    script = Path(sys.executable).parent / "imageset-search"
    command, args = (
        (str(script), ["serve"]) if script.exists() else (sys.executable, ["-m", "imageset_search.server.cli", "serve"])
    )
    env = dict(os.environ, IMAGESET_SEARCH_DB=str(db.resolve()))
    return StdioServerParameters(command=command, args=args, env=env)


def shown(result, view: str) -> str:
    text = "\n".join(part.text for part in result.content if part.type == "text")
    if result.is_error or view == "text":
        return text
    return json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)


async def ask(db: Path, view: str, tool: str | None, arguments: dict) -> tuple[str, bool]:
    async with stdio_client(server(db)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        if tool is None:
            listed = (await session.list_tools()).tools
            tools = [{"name": item.name, "description": item.description, "inputSchema": item.input_schema}
                     for item in listed]  # fmt: skip
            return json.dumps(tools, indent=1), False
        result = await session.call_tool(tool, arguments)
        return shown(result, view), bool(result.is_error)


def tally(log: Path) -> dict:
    calls = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return {"log": log.name, "calls": len(calls), "errors": sum(call["is_error"] for call in calls),
            "bytes": sum(call["bytes"] for call in calls)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="the trial store's SQLite file")
    parser.add_argument("--view", choices=["text", "structured"])
    parser.add_argument("--log", type=Path, help="where calls are counted (default trial-VIEW.jsonl)")
    parser.add_argument("--tools", action="store_true", help="print the tool list instead of calling a tool")
    parser.add_argument("--tally", type=Path, metavar="LOG", help="print the calls and bytes of a log, and stop")
    parser.add_argument("tool", nargs="?")
    parser.add_argument("arguments", nargs="?", default="{}", help="the tool's arguments as one JSON object")
    options = parser.parse_args()
    if options.tally:
        print(json.dumps(tally(options.tally)))
        return
    if options.db is None or options.view is None or (options.tool is None) == (not options.tools):
        parser.error("give --db, --view and either a TOOL (with its JSON arguments) or --tools")
    if not options.db.exists():
        parser.error(f"no such store: {options.db}")
    arguments = json.loads(options.arguments)
    output, is_error = anyio.run(ask, options.db, options.view, None if options.tools else options.tool, arguments)
    print(output)
    if not options.tools:
        log = options.log or Path(f"trial-{options.view}.jsonl")
        entry = {"tool": options.tool, "arguments": arguments, "bytes": len(output.encode()), "is_error": is_error}
        with log.open("a") as out:
            out.write(json.dumps(entry) + "\n")


if __name__ == "__main__":
    main()
