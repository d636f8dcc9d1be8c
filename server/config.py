"""Where settings come from: a command-line option, else an IMAGESET_SEARCH_* environment variable, else a default.

Desktop hosts configure a server through an `env` block, so every option has an environment variable too.
"""

import os
import sys
from pathlib import Path

ENV_PREFIX = "IMAGESET_SEARCH_"


def env_name(option: str) -> str:
    """`--endpoint-url` -> `IMAGESET_SEARCH_ENDPOINT_URL`."""
    return ENV_PREFIX + option.lstrip("-").replace("-", "_").upper()


def env_default(option: str, default=None):
    """The environment's value for an option, for argparse's `default=`."""
    return os.environ.get(env_name(option), default)


def user_data_dir() -> Path:
    """The per-user data folder of this platform (XDG on Linux, Application Support on macOS, LOCALAPPDATA)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "imageset-search"


def user_config_dir() -> Path:
    """The per-user config folder of this platform (XDG on Linux, Application Support on macOS, APPDATA)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "imageset-search"


def token_secret_path() -> Path:
    """Where the AWS backend keeps the secret that signs its continuation tokens (created 0600 on first use)."""
    return user_config_dir() / "token-secret"


def db_path(option_value: str | None = None) -> Path:
    """The SQLite file of the local datastore: `--db`, else IMAGESET_SEARCH_DB, else the user data folder."""
    value = option_value or os.environ.get(env_name("--db"))
    return Path(value).expanduser() if value else user_data_dir() / "imageset-search.sqlite3"


def timezone(name: str | None = None):
    """The zone "today" is read in: the given IANA name, else IMAGESET_SEARCH_TIMEZONE, TZ, the system's, UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for candidate in (name, os.environ.get(env_name("--timezone")), os.environ.get("TZ"), _system_zone_name()):
        if candidate:
            try:
                return ZoneInfo(candidate.lstrip(":"))
            except (ZoneInfoNotFoundError, ValueError):
                if candidate == name:
                    raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin") from None
    return ZoneInfo("UTC")


def _system_zone_name() -> str | None:
    """The IANA name /etc/localtime points at, where it is a link into a zoneinfo folder."""
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return None
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None
