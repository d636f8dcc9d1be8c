"""`imageset-search search-image-sets`: `aws medical-imaging search-image-sets`, option for option, on this engine.

The same options, output (imageSetsMetadataSummaries with ISO-8601 timestamps, a top-level NextToken while more
remain), error lines and exit codes as the AWS CLI v2 (252 bad parameter, 253 credentials, 254 service error, 255
unreachable), on the local datastore by default or on AWS. Two things differ on purpose: loose values inside the
criteria ("last March") are made exact first and echoed on stderr, and the NextToken never re-delivers an item when
--page-size changes between runs: the walk is the search tool's own paginator (tools.paginator), whose resume
re-reads a part-printed page at the size it was read at.
"""

import json
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from imageset_search.datastores.errors import CredentialsError, DatastoreError, ServiceUnavailableException
from imageset_search.datastores.healthimaging import NON_AGGREGATE_KEYS
from imageset_search.datastores.tokens import TokenError
from imageset_search.server.aws_cli.params import env_help, setting, to_int
from imageset_search.server.config import to_bool
from imageset_search.server.errors import CommandError, one_line_errors
from imageset_search.tools import tokens
from imageset_search.tools.paginator import DEFAULT_SIZE, RESULT_KEY, PlaceLost, Position, collect

log = logging.getLogger(__name__)

OPERATION = "SearchImageSets"
PAGING_OPTIONS = {"--starting-token": str, "--page-size": to_int, "--max-items": to_int}
EXIT_BAD_PARAMETER = 252
EXIT_CONFIGURATION = 253
EXIT_SERVICE_ERROR = 254
EXIT_UNREACHABLE = 255


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "search-image-sets",
        parents=[common],
        help="search image sets as `aws medical-imaging search-image-sets` does",
        description=__doc__.split("\n\n")[0],
    )
    _add_operation_options(parser)
    _add_paging_options(parser)
    _add_output_options(parser)
    _add_connection_options(parser)
    one_line_errors(parser, EXIT_BAD_PARAMETER)
    parser.set_defaults(run=run)


def _option(parser, option: str, text: str, **kwargs) -> None:
    parser.add_argument(option, help=env_help(option, text), **kwargs)


def _flag(parser, option: str, text: str) -> None:
    parser.add_argument(option, action="store_const", const=True, help=env_help(option, text))


def _add_operation_options(parser) -> None:
    _option(parser, "--datastore-id", "the datastore to search (32 characters, [0-9a-z])", metavar="ID")
    _option(
        parser,
        "--search-criteria",
        "the searchCriteria object as AWS takes it, as JSON or file://PATH; loose dates are allowed",
        metavar="JSON",
    )
    _option(parser, "--cli-input-json", "every parameter as JSON or file://PATH; options given override it",
            metavar="JSON")
    _option(parser, "--generate-cli-skeleton", "print a sample input (default) or output document and exit",
            nargs="?", const="input", choices=["input", "output"])
    _option(parser, "--timezone", 'the zone that says what "today" means in loose dates (default: the machine\'s)',
            metavar="ZONE")


def _add_paging_options(parser) -> None:
    _option(parser, "--starting-token", "resume where a printed NextToken says", metavar="TOKEN")
    _option(parser, "--page-size", "image sets per service call (1-50); does not change what is printed",
            type=int, metavar="N")
    _option(parser, "--max-items", "print at most N image sets, then a NextToken to resume from", type=int,
            metavar="N")
    _flag(parser, "--no-paginate", "make one service call and print its response as it came")


def _add_output_options(parser) -> None:
    _option(parser, "--output", "json (default), text or table", choices=["json", "text", "table"])
    _option(parser, "--query", "a JMESPath expression applied to the output", metavar="JMESPATH")
    _flag(parser, "--debug", "log this command's steps on stderr (names and counts only: no patient data)")


def _add_connection_options(parser) -> None:
    _option(parser, "--backend", "local (default) or aws; --endpoint-url, --region or --profile imply aws",
            choices=["local", "aws"])
    _option(parser, "--endpoint-url", "the HealthImaging endpoint to call instead of AWS's", metavar="URL")
    _option(parser, "--region", "the AWS Region", metavar="REGION")
    _option(parser, "--profile", "the AWS profile from your credentials file", metavar="NAME")
    _option(parser, "--cli-read-timeout", "socket read timeout in seconds (default 60; 0 keeps the default)", type=int,
            metavar="SECONDS")
    _option(
        parser,
        "--cli-connect-timeout",
        "socket connect timeout in seconds (default 60; 0 keeps the default)",
        type=int,
        metavar="SECONDS",
    )
    _flag(parser, "--no-verify-ssl", "do not verify TLS certificates")
    _option(parser, "--ca-bundle", "the CA bundle to verify TLS certificates with", metavar="PATH")


def run(args) -> int:
    """Search, print, and turn every failure into the AWS CLI's line and exit code."""
    try:
        return _run(args)
    except BrokenPipeError:
        _quiet_stdout()  # the reader (head, less) went away: nothing left to say, and no traceback at exit
        return 0
    except CommandError as exc:
        return _fail(str(exc), EXIT_BAD_PARAMETER)
    except DatastoreError as exc:
        return _fail(
            f"An error occurred ({exc.code}) when calling the {OPERATION} operation: {exc.message}", _exit_code(exc)
        )


def _quiet_stdout() -> None:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(line: str, code: int) -> int:
    print(" ".join(line.split()), file=sys.stderr)
    return code


def _exit_code(exc: DatastoreError) -> int:
    if isinstance(exc, CredentialsError):
        return EXIT_CONFIGURATION
    if isinstance(exc, ServiceUnavailableException):
        return EXIT_UNREACHABLE
    return EXIT_SERVICE_ERROR


def _run(args) -> int:
    from imageset_search.server.aws_cli import output as cli_output, skeleton as cli_skeleton

    skeleton = setting(args, "--generate-cli-skeleton")
    if skeleton == "input":
        cli_output.write_json(cli_skeleton.input_skeleton(), sys.stdout)
        return 0
    output = _output_format(args)
    query = cli_output.compile_query(setting(args, "--query"))
    if setting(args, "--debug", to_bool, False):
        from imageset_search.server.logs import configure

        configure(debug=True)
    if skeleton == "output":
        cli_output.render(cli_output.iso_timestamps(cli_skeleton.output_skeleton()), output, query=query)
        return 0
    from imageset_search.server.aws_cli.connection import opened_datastore
    from imageset_search.server.aws_cli.request import read_request

    request = read_request(args)
    paging = _paging(args, request)
    with opened_datastore(args) as datastore:
        printout = _search(datastore, request, paging)
    for line in request.interpreted:  # what was searched, in words, once the search has answered
        print(line, file=sys.stderr)
    _print(printout, output, query)
    return 0


def _output_format(args) -> str:
    from imageset_search.server.aws_cli.output import OUTPUT_FORMATS

    output = setting(args, "--output", default="json")
    if output not in OUTPUT_FORMATS:
        raise CommandError(f"Bad value for --output {output!r}: use one of {', '.join(OUTPUT_FORMATS)}")
    return output


@dataclass
class Printout:
    """What the command prints: the whole response (json, table), and the parts text output prints one by one.

    awscli prints text page by page (the first page with `sort`), then the NextToken, applying --query to each.
    """

    whole: dict[str, Any]
    text_parts: list[dict[str, Any]]


@dataclass(frozen=True)
class Paging:
    """How to page: one raw call, or a walk of up to `max_items` from a printed NextToken in pages of `page_size`."""

    single_call: bool
    max_items: int | None = None
    page_size: int | None = None
    starting_token: str | None = None


_START_OVER = "leave --starting-token out to start from the beginning"
_TOKEN_ERRORS = {
    "empty": f"the token is empty; pass the NextToken value exactly as printed, or {_START_OVER}",
    "damaged": "this is not a NextToken printed by imageset-search search-image-sets over this datastore (it is "
    "altered or truncated, or a token of the AWS CLI or of the service, which do not carry over); pass the NextToken "
    f"value exactly as printed, or {_START_OVER}",
    "scope": "the token belongs to a different search; resume with the same --datastore-id and --search-criteria "
    f"that printed it, or {_START_OVER}",
    "place": "the image set the token continues after is no longer on its page (the data changed since); "
    f"{_START_OVER}",
}


def _token_error(reason: str) -> CommandError:
    return CommandError(f"Error parsing parameter '--starting-token': {_TOKEN_ERRORS[reason]}")


def _paging(args, request) -> Paging:
    """The paging options, checked (the token's shape too) before any datastore is opened."""
    values = {option: setting(args, option, convert) for option, convert in PAGING_OPTIONS.items()}
    no_paginate = setting(args, "--no-paginate", to_bool, False)
    if no_paginate or request.single_call:
        used = [option for option, value in values.items() if value is not None]
        if used:  # AWS CLI v2's rule: one raw call takes no paging options
            single_call = "--no-paginate" if no_paginate else "maxResults or nextToken in --cli-input-json"
            raise CommandError(f"Cannot specify {single_call} along with pagination arguments: {', '.join(used)}")
        return Paging(single_call=True)
    max_items = values["--max-items"]
    if max_items is not None and max_items < 1:
        raise CommandError(f"Bad value for --max-items {max_items}: use 1 or more, or leave it out to print all")
    page_size = values["--page-size"]
    if page_size is not None and page_size < 1:  # 0 would read as "the service's default" to the paginator
        raise CommandError(f"Bad value for --page-size {page_size}: use 1 to 50, or leave it out for the default")
    token = values["--starting-token"]
    if token is not None and not token.strip():
        raise _token_error("empty")
    if token is not None and not tokens.resume_shaped(token):
        raise _token_error("damaged")
    return Paging(False, max_items, page_size, token)


def _search(datastore, request, paging: Paging) -> Printout:
    """One raw service call (--no-paginate, or paging keys in --cli-input-json), else the resumable walk."""
    if paging.single_call:
        response = datastore.search_image_sets(
            request.datastore_id, request.criteria, request.max_results, request.next_token
        )
        return Printout(response, [response])
    return _walked(datastore, request, paging)


def _scope(request) -> str:
    """The search a NextToken is bound to: the datastore and the exact criteria, key order aside."""
    search = [request.datastore_id, request.criteria or {}]
    return json.dumps(search, sort_keys=True, separators=(",", ":"), default=str)


def _start(secret: bytes, request, paging: Paging) -> Position:
    if paging.starting_token is None:
        return Position()
    try:
        return tokens.decode_resume(secret, _scope(request), paging.starting_token)
    except TokenError as exc:
        raise _token_error(exc.reason) from None


def _fetcher(datastore, request):
    def fetch(service_token: str | None, size: int) -> dict[str, Any]:
        page = datastore.search_image_sets(
            request.datastore_id, request.criteria, max_results=size or None, next_token=service_token
        )
        log.debug(
            "SearchImageSets page: maxResults %s, %s, %d summaries, more pages: %s",
            size or "default",
            "resumed from a service token" if service_token else "first page",
            len(page.get(RESULT_KEY) or ()),
            bool(page.get("nextToken")),
        )
        return page

    return fetch


def _walked(datastore, request, paging: Paging) -> Printout:
    """botocore's build_full_result over the paginator's walk: all items, the first page's `sort`, a NextToken."""
    secret = datastore.token_secret()
    size = DEFAULT_SIZE if paging.page_size is None else paging.page_size
    try:
        start = _start(secret, request, paging)
        result = collect(_fetcher(datastore, request), start, paging.max_items, page_size=size)
    except PlaceLost:
        raise _token_error("place") from None
    if result.interrupted is not None:
        raise result.interrupted
    first = {key: result.first_page[key] for key in NON_AGGREGATE_KEYS if key in result.first_page}
    whole = {RESULT_KEY: result.items, **first}
    parts = [{**(first if number == 0 else {}), RESULT_KEY: page} for number, page in enumerate(result.pages)]
    if result.next is not None:
        whole["NextToken"] = tokens.encode_resume(secret, _scope(request), result.next)
        parts.append({"NextToken": {"NextToken": whole["NextToken"]}})
    return Printout(whole, parts)


def _print(printout: Printout, output: str, query) -> None:
    from imageset_search.server.aws_cli.output import iso_timestamps, render

    if output == "text":
        for part in printout.text_parts:
            render(iso_timestamps(part), output, query=query)
    else:
        render(iso_timestamps(printout.whole), output, query=query)
