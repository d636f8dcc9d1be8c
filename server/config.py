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


def _user_dir(windows: tuple[str, str], xdg: tuple[str, str]) -> Path:
    """This program's folder under a per-user base: (variable, fallback under the home folder) on Windows and on
    XDG systems; Application Support on macOS, which keeps data and settings together."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "imageset-search"
    variable, fallback = windows if sys.platform == "win32" else xdg
    return Path(os.environ.get(variable) or Path.home() / fallback) / "imageset-search"


def user_data_dir() -> Path:
    """The per-user data folder of this platform (XDG on Linux, Application Support on macOS, LOCALAPPDATA)."""
    return _user_dir(("LOCALAPPDATA", "AppData/Local"), ("XDG_DATA_HOME", ".local/share"))


def user_config_dir() -> Path:
    """The per-user config folder of this platform (XDG on Linux, Application Support on macOS, APPDATA)."""
    return _user_dir(("APPDATA", "AppData/Roaming"), ("XDG_CONFIG_HOME", ".config"))


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
