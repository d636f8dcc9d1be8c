"""The `imageset-search` command line: one entry point, a sub-command per module of `server.commands`.

Each command module defines `register(subparsers, common)`, adding its parser with `parents=[common]` and setting
`run=function(args) -> int`. Modules import their heavy dependencies inside `run`, so `serve` starts fast.
"""

import argparse
import importlib
import sys

from imageset_search.datastores.errors import DatastoreError
from imageset_search.server.errors import CommandError

COMMANDS = ["serve", "serve_api", "import_files", "demo_data", "search_image_sets", "search", "demo"]


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite file of the local datastore (env IMAGESET_SEARCH_DB; default: the user data folder)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imageset-search",
        description="Search medical image sets as AWS HealthImaging's SearchImageSets does, on AWS or locally.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_options()
    for name in COMMANDS:
        importlib.import_module(f"imageset_search.server.commands.{name}").register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (CommandError, DatastoreError) as exc:
        kind = getattr(exc, "code", None)
        prefix = f"error ({kind})" if kind else "error"
        print(f"imageset-search {args.command}: {prefix}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
