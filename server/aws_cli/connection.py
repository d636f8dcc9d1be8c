"""Where `search-image-sets` searches: the local datastore, or AWS HealthImaging with the AWS CLI's connection options.

Passing --endpoint-url, --region or --profile (or their IMAGESET_SEARCH_* variables) means AWS unless --backend (or
IMAGESET_SEARCH_BACKEND) says otherwise, so an AWS CLI command line works here by changing only the program name.
"""

import logging
from contextlib import contextmanager
from typing import Any, Iterator

from imageset_search.server.errors import CommandError
from imageset_search.server.aws_cli.params import setting, to_int
from imageset_search.server.config import to_bool

log = logging.getLogger(__name__)

BACKENDS = ("local", "aws")
AWS_OPTIONS = ("--endpoint-url", "--region", "--profile")


def backend_for(args) -> str:
    """--backend, else IMAGESET_SEARCH_BACKEND, else aws when an AWS connection option is set, else local."""
    backend = setting(args, "--backend")
    if backend is None:
        return "aws" if any(setting(args, option) for option in AWS_OPTIONS) else "local"
    if backend not in BACKENDS:
        raise CommandError(f"Bad value for --backend {backend!r}: use local or aws")
    return backend


def aws_options(args) -> dict[str, Any]:
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


@contextmanager
def opened_datastore(args) -> Iterator[Any]:
    """The configured datastore for the length of one command, closed afterwards when it can be."""
    from imageset_search.server.backends import opened

    backend = backend_for(args)
    log.debug("opening the %s datastore", backend)
    with opened(backend, args.db, **(aws_options(args) if backend == "aws" else {})) as datastore:
        yield datastore
