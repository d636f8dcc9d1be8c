"""`imageset-search serve-api`: the local datastore behind AWS HealthImaging's REST API, for boto3 and the AWS CLI.

It lets anything that speaks HealthImaging (boto3, the AWS CLI, this server's own `--backend aws`) run against local
data unchanged, and with the fault flags it plays a misbehaving service for tests.
"""

import argparse
import sys

from imageset_search.datastores.testbed.faults import FAIL_KINDS  # light: the fault rules import nothing heavy

DESCRIPTION = """\
Serve the local datastore over AWS HealthImaging's REST API (SearchImageSets, GetImageSet, GetImageSetMetadata,
ListImageSetVersions, ListDatastores, GetDatastore; read-only), and its DICOMweb QIDO-RS searches
(/datastore/{id}/studies, .../studies/{uid}/series, .../series/{uid}/instances; DICOM JSON, primary image sets only,
studies newest-updated first, at most 10,000 records per query, as HealthImaging documents them).

Requests must be SigV4-signed, but only the form of a signature is checked, not the secret: any key pair works.
That is why it binds loopback (127.0.0.1) by default; do not expose it to a network you do not trust. A request
whose Host does not name the bound address and port (421), from another web origin (403), or with a body that is not
declared JSON (415) is refused, so web pages cannot read it.

Point clients at it with:
  aws medical-imaging search-image-sets --endpoint-url http://127.0.0.1:8080 --region us-east-1 ...
  (with AWS_DISABLE_HOST_PREFIX_INJECTION=true and any AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
  imageset-search serve --backend aws --endpoint-url http://127.0.0.1:8080

Fault rules (--throttle, --fail) are a share of requests (0.3 = about 30%, seeded) or request numbers counted from
1 in arrival order ("3,4,5", "2-4", "6-" = request 6 and every later one).
"""


def register(subparsers, common):
    parser = subparsers.add_parser(
        "serve-api",
        parents=[common],
        help="serve the local datastore over AWS HealthImaging's REST API (any SigV4 signature is accepted)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks a free one)")
    faults = parser.add_argument_group("fault injection (for tests)")
    faults.add_argument("--throttle", metavar="RULE", help="answer these requests 429 ThrottlingException")
    faults.add_argument("--fail", metavar="RULE", help="fail these requests, as --fail-kind says")
    faults.add_argument(
        "--fail-kind",
        choices=FAIL_KINDS,
        default="error",
        help="error: 500 InternalServerException; unavailable: 503; deny: 403 AccessDeniedException; "
        "expired: 403 ExpiredTokenException; drop: close the connection unanswered; "
        "hang: answer nothing for --hang-seconds (past a client's read timeout)",
    )
    faults.add_argument("--hang-seconds", type=float, default=30.0, metavar="S", help="how long a hang lasts (30)")
    faults.add_argument("--latency", type=float, default=0.0, metavar="S", help="seconds added to every request")
    faults.add_argument("--seed", type=int, default=0, help="seed of the random share rules (0)")
    faults.add_argument(
        "--fault-operations",
        metavar="NAMES",
        help="limit the faults to these operations, comma-separated (e.g. SearchImageSets); only their requests count",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from imageset_search.datastores.testbed.endpoint import start_endpoint
    from imageset_search.datastores.testbed.gate import is_loopback
    from imageset_search.datastores.local.store import LocalStore
    from imageset_search.server.config import db_path

    from imageset_search.server.errors import CommandError

    faults = build_faults(args)
    path = db_path(args.db)
    if not path.exists():
        raise CommandError(f"no local datastore at {path}: build one with `imageset-search demo-data` or pass --db")
    store = LocalStore(path)
    try:
        endpoint = start_endpoint(store, host=args.host, port=args.port, faults=faults)
    except OSError as exc:
        store.close()
        raise CommandError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}): "
            "pick another --port (0 picks a free one)"
        ) from None
    if not is_loopback(args.host):
        print(f"warning: {args.host} is not loopback, and this endpoint accepts any signature", file=sys.stderr)
    print(f"serving HealthImaging API at {endpoint.url} (Ctrl-C to stop)", flush=True)
    try:
        endpoint.wait()
    finally:
        endpoint.stop()
        store.close()
    return 0


def build_faults(args):
    """The Faults the flags ask for; a malformed rule is a command-line error that says what to send instead."""
    from imageset_search.datastores.testbed.endpoint import checked_faults
    from imageset_search.datastores.testbed.faults import Faults
    from imageset_search.server.errors import CommandError

    try:
        return checked_faults(
            Faults(
                throttle=args.throttle,
                fail=args.fail,
                fail_kind=args.fail_kind,
                latency=args.latency,
                hang_seconds=args.hang_seconds,
                seed=args.seed,
                operations=args.fault_operations,
            )
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
