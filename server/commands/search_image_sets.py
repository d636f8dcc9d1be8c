"""`imageset-search search-image-sets`: `aws medical-imaging search-image-sets`, option for option, on this engine.

The same options, output (imageSetsMetadataSummaries with ISO-8601 timestamps, a top-level NextToken while more
remain), error lines and exit codes as the AWS CLI v2 (252 bad parameter, 253 credentials, 254 service error, 255
unreachable), on the local datastore by default or on AWS. Two things differ on purpose: loose values inside the
criteria ("last March") are made exact first and echoed on stderr, and the NextToken never re-delivers an item when
--page-size changes between runs (see server.cli_paging).
"""

import argparse
import logging
import os
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imageset_search.datastores.errors import CredentialsError, DatastoreError, ServiceUnavailableException
from imageset_search.server.cli import CommandError
from imageset_search.server.cli_params import env_help, load_cli_input, load_json_object, setting, to_bool, to_int

log = logging.getLogger(__name__)

OPERATION = "SearchImageSets"
INPUT_KEYS = ("datastoreId", "searchCriteria", "maxResults", "nextToken")
CRITERIA_EXAMPLE = '{"filters": [{"values": [{"DICOMPatientId": "..."}], "operator": "EQUAL"}]}'
PAGING_OPTIONS = ("--starting-token", "--page-size", "--max-items")
AWS_OPTIONS = ("--endpoint-url", "--region", "--profile")
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
    _one_line_errors(parser)
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
    _option(parser, "--cli-connect-timeout", "socket connect timeout in seconds (default 60; 0 keeps the default)", type=int,
            metavar="SECONDS")
    _flag(parser, "--no-verify-ssl", "do not verify TLS certificates")
    _option(parser, "--ca-bundle", "the CA bundle to verify TLS certificates with", metavar="PATH")


def _one_line_errors(parser) -> None:
    """Usage mistakes as one line and exit 252, as the AWS CLI; unknown options are refused here, not by the parent.

    Only option names are quoted back, never values, which may hold patient identifiers.
    """

    def error(self, message: str):
        self.exit(EXIT_BAD_PARAMETER, f"{self.prog}: error: {message}; see {self.prog} --help\n")

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = argparse.ArgumentParser.parse_known_args(self, args, namespace)
        if extras:
            names = [extra.split("=", 1)[0] for extra in extras if extra.startswith("-")]
            self.error(f"unknown options: {', '.join(names)}" if names else "unexpected values without an option")
        return namespace, []

    parser.error = types.MethodType(error, parser)
    parser.parse_known_args = types.MethodType(parse_known_args, parser)


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
        return _fail(f"An error occurred ({exc.code}) when calling the {OPERATION} operation: {exc.message}",
                     _exit_code(exc))


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
    from imageset_search.server import cli_output, cli_skeleton

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
    request = _request(args)
    with _opened_datastore(args) as datastore:
        printout = _search(args, datastore, request)
    for line in request["interpreted"]:  # what was searched, in words, once the search has answered
        print(line, file=sys.stderr)
    _print(printout, output, query)
    return 0


def _output_format(args) -> str:
    from imageset_search.server.cli_output import OUTPUT_FORMATS

    output = setting(args, "--output", default="json")
    if output not in OUTPUT_FORMATS:
        raise CommandError(f"Bad value for --output {output!r}: use one of {', '.join(OUTPUT_FORMATS)}")
    return output


def _request(args) -> dict[str, Any]:
    """The SearchImageSets parameters: options, else --cli-input-json, else environment; criteria made exact."""
    document = load_cli_input(setting(args, "--cli-input-json"), INPUT_KEYS)
    datastore_id = args.datastore_id or document.get("datastoreId") or setting(args, "--datastore-id")
    if not datastore_id:
        raise CommandError(
            "the following arguments are required: --datastore-id (or datastoreId in --cli-input-json, or the "
            "IMAGESET_SEARCH_DATASTORE_ID environment variable)"
        )
    if args.search_criteria is not None:
        criteria = load_json_object("--search-criteria", args.search_criteria, CRITERIA_EXAMPLE)
    elif "searchCriteria" in document:
        criteria = _criteria_object(document["searchCriteria"])
    else:
        criteria = _criteria_from_environment(args)
    exact, interpreted = _exact_criteria(args, criteria)
    return {
        "datastore_id": str(datastore_id).strip(),
        "criteria": exact,
        "interpreted": interpreted,
        "max_results": document.get("maxResults"),
        "next_token": document.get("nextToken"),
        "manual_paging": "maxResults" in document or "nextToken" in document,
    }


def _criteria_object(criteria: Any) -> dict[str, Any] | None:
    if criteria is None or isinstance(criteria, dict):
        return criteria
    raise CommandError(
        f"Error parsing parameter '--cli-input-json': searchCriteria must be a JSON object such as {CRITERIA_EXAMPLE}"
    )


def _criteria_from_environment(args) -> dict[str, Any] | None:
    value = setting(args, "--search-criteria")
    return None if value is None else load_json_object("--search-criteria", value, CRITERIA_EXAMPLE)


def _exact_criteria(args, criteria: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """Loose values made exact by the tools' normalizer, and its plain words for each filter.

    The normalizer checks what the service checks, so what it refuses is reported as the service's
    ValidationException (exit 254), the same line and code the datastore gives for what reaches it.
    """
    from imageset_search.datastores.errors import ValidationException
    from imageset_search.tools.criteria import normalize_search_criteria

    zone = _zone(setting(args, "--timezone"))
    if criteria is None:
        return None, []
    now = datetime.now(zone)
    try:
        exact, interpreted = normalize_search_criteria(criteria, today=now.date(), tz=zone, now=now)
    except ValueError as exc:
        raise ValidationException(_plain_reason(exc)) from None
    return exact, interpreted


def _zone(name: str | None):
    from imageset_search.server.config import timezone

    try:
        return timezone(name)
    except ValueError as exc:
        raise CommandError(f"Bad value for --timezone: {exc}") from None


def _plain_reason(exc: ValueError) -> str:
    """A validation failure as one line naming the fields, without the input values (they may be patient data)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return " ".join(str(exc).split())
    parts = []
    for error in errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error.get("loc", ())) or "searchCriteria"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


@contextmanager
def _opened_datastore(args):
    """The configured datastore for the length of one command, closed afterwards when it can be."""
    from imageset_search.server.backends import open_datastore

    backend = _backend(args)
    log.debug("opening the %s datastore", backend)
    datastore = open_datastore(backend, args.db, **(_aws_options(args) if backend == "aws" else {}))
    try:
        yield datastore
    finally:
        close = getattr(datastore, "close", None)
        if callable(close):
            close()


def _backend(args) -> str:
    """--backend, else IMAGESET_SEARCH_BACKEND, else aws when an AWS connection option is set, else local."""
    backend = setting(args, "--backend")
    if backend is None:
        return "aws" if any(setting(args, option) for option in AWS_OPTIONS) else "local"
    if backend not in ("local", "aws"):
        raise CommandError(f"Bad value for --backend {backend!r}: use local or aws")
    return backend


def _aws_options(args) -> dict[str, Any]:
    """AwsDatastore's options; a timeout of 0 (the AWS CLI's "no limit") keeps botocore's default instead."""
    return {
        "region": setting(args, "--region"),
        "profile": setting(args, "--profile"),
        "endpoint_url": setting(args, "--endpoint-url"),
        "connect_timeout": setting(args, "--cli-connect-timeout", to_int) or None,
        "read_timeout": setting(args, "--cli-read-timeout", to_int) or None,
        "ca_bundle": setting(args, "--ca-bundle"),
        "verify_ssl": not setting(args, "--no-verify-ssl", to_bool, False),
    }


@dataclass
class Printout:
    """What the command prints: the whole response (json, table), and the parts text output prints one by one.

    awscli prints text page by page (the first page with `sort`), then the NextToken, applying --query to each.
    """

    whole: dict[str, Any]
    text_parts: list[dict[str, Any]]


def _search(args, datastore, request: dict[str, Any]) -> Printout:
    """One raw service call (--no-paginate, or paging keys in --cli-input-json), else the resumable walk."""
    no_paginate = setting(args, "--no-paginate", to_bool, False)
    if no_paginate or request["manual_paging"]:
        _refuse_paging_options(args, "--no-paginate" if no_paginate else "maxResults or nextToken in --cli-input-json")
        response = datastore.search_image_sets(
            request["datastore_id"], request["criteria"], request["max_results"], request["next_token"]
        )
        return Printout(response, [response])
    return _paged(args, datastore, request)


def _refuse_paging_options(args, single_call: str) -> None:
    """AWS CLI v2's rule: one raw call (--no-paginate, or paging keys in the input JSON) takes no paging options."""
    used = [option for option in PAGING_OPTIONS if setting(args, option) is not None]
    if used:
        raise CommandError(f"Cannot specify {single_call} along with pagination arguments: {', '.join(used)}")


def _paged(args, datastore, request: dict[str, Any]) -> Printout:
    """botocore's build_full_result over this command's walk: all items, the first page's `sort`, a NextToken."""
    from imageset_search.server.cli_paging import RESULT_KEY, Position, decode_token, encode_token, walk
    from imageset_search.server.cli_paging import search_fingerprint

    max_items = setting(args, "--max-items", to_int)
    if max_items is not None and max_items < 1:
        raise CommandError(f"Bad value for --max-items {max_items}: use 1 or more, or leave it out to print all")
    fingerprint = search_fingerprint(request["datastore_id"], request["criteria"])
    token = setting(args, "--starting-token")
    start = decode_token(token, fingerprint) if token else Position()
    result = walk(
        datastore,
        request["datastore_id"],
        request["criteria"],
        start=start,
        page_size=setting(args, "--page-size", to_int),
        max_items=max_items,
    )
    whole = {RESULT_KEY: result.items, **result.first_page}
    parts = [{**(result.first_page if number == 0 else {}), RESULT_KEY: page} for number, page in
             enumerate(result.pages)]
    if result.resume is not None:
        whole["NextToken"] = encode_token(result.resume, fingerprint)
        parts.append({"NextToken": {"NextToken": whole["NextToken"]}})
    return Printout(whole, parts)


def _print(printout: Printout, output: str, query) -> None:
    from imageset_search.server.cli_output import iso_timestamps, render

    if output == "text":
        for part in printout.text_parts:
            render(iso_timestamps(part), output, query=query)
    else:
        render(iso_timestamps(printout.whole), output, query=query)
