"""`imageset-search demo-data`: (re)build the synthetic demo datastore in the local SQLite file.

The demo generator is imported when the command runs, not when the command line is built: every command's parser
is built at start-up, `serve` included.
"""

DEFAULT_IMAGE_SETS = 200


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "demo-data",
        parents=[common],
        help="build the synthetic demo datastore (no real patient data)",
        description="Write small synthetic DICOM files, import them, and replace the demo datastore with the "
        "result. It includes the image set of the AWS CLI's search-image-sets examples. The same seed gives the "
        "same data.",
    )
    parser.add_argument(
        "--image-sets",
        type=_positive_int,
        default=DEFAULT_IMAGE_SETS,
        metavar="N",
        help=f"how many image sets to build (default {DEFAULT_IMAGE_SETS}; at least the 2 of the AWS CLI examples)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    add_today_option(parser)
    parser.set_defaults(run=run)


def add_today_option(parser) -> None:
    """`--today`: the day the demo's timestamps and study dates end at. With the same seed and size it rebuilds the
    same store exactly, so a demo store can be shared in a bug report (and tests do not depend on the day they run)."""
    parser.add_argument(
        "--today",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the demo's 'today': its timestamps and study dates end there (default: today in the configured zone)",
    )


def demo_today(args, zone=None):
    """The `--today` given, else the real today in `zone` (default: the configured time zone)."""
    from datetime import datetime

    from imageset_search.server.config import timezone

    return args.today or datetime.now(zone or timezone()).date()


def run(args) -> int:
    from imageset_search.datastores.local.demo import DEMO_DATASTORE_NAME, FIXED_IMAGE_SETS, build_demo
    from imageset_search.server.backends import open_datastore
    from imageset_search.server.config import db_path

    store = open_datastore("local", args.db)
    today = demo_today(args)
    datastore_id = build_demo(store, image_sets=args.image_sets, seed=args.seed, today=today)
    count = max(args.image_sets, FIXED_IMAGE_SETS)
    print(
        f"Built datastore {DEMO_DATASTORE_NAME!r} ({datastore_id}) with {count} image sets "
        f"(seed {args.seed}, today {today:%Y-%m-%d}) in {db_path(args.db)}."
    )
    return 0


def _day(text: str):
    import argparse
    from datetime import datetime

    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError("not a day: give --today as YYYY-MM-DD, e.g. 2026-06-01") from None


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of image sets: give 1 or more, e.g. 200")
    return value
