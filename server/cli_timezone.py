"""The time zone that says what "today" and "yesterday" mean in loose criteria: `--timezone`, else the machine's.

Loose dates need a named zone (ZoneInfo), not a fixed offset: "last March" in Europe/Paris spans a change of
offset. The machine's zone comes from TZ or the /etc/localtime link; failing both it is UTC.
"""

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imageset_search.server.cli import CommandError

_LOCALTIME = Path("/etc/localtime")


def machine_zone() -> ZoneInfo:
    """The machine's named zone, as TZ or the zoneinfo file /etc/localtime links to names it; else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    if _LOCALTIME.is_symlink():
        target = str(_LOCALTIME.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in filter(None, candidates):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def resolve_zone(name: str | None) -> ZoneInfo:
    """`--timezone NAME` as a ZoneInfo; an unknown name is a bad parameter that says what names look like."""
    if not name:
        return machine_zone()
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"Bad value for --timezone {name!r}: not a known time zone; use an IANA name such as UTC, "
            "Europe/Paris or America/New_York"
        ) from None
