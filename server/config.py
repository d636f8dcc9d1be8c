"""Where settings come from: a command-line option, else an IMAGESET_SEARCH_* environment variable, else a default.

Desktop hosts configure a server through an `env` block, so every option has an environment variable too.
"""

import os
import sys
from pathlib import Path

from imageset_search.server.errors import CommandError

ENV_PREFIX = "IMAGESET_SEARCH_"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_name(option: str) -> str:
    """`--endpoint-url` -> `IMAGESET_SEARCH_ENDPOINT_URL`."""
    return ENV_PREFIX + option.lstrip("-").replace("-", "_").upper()


def env_default(option: str, default=None):
    """The environment's value for an option, for argparse's `default=`."""
    return os.environ.get(env_name(option), default)


def to_bool(text: str) -> bool:
    """A yes/no value as every command reads it, so IMAGESET_SEARCH_NO_VERIFY_SSL=on means the same everywhere."""
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS or lowered in FALSE_WORDS:
        return lowered in TRUE_WORDS
    raise ValueError("not a yes/no value: use 1/0, true/false, yes/no or on/off")


def switch(value: bool | str | None, option: str) -> bool:
    """A store_true option whose default is its environment variable: True when given, else that variable's yes/no."""
    if value is None or isinstance(value, bool):
        return bool(value)
    try:
        return to_bool(value)
    except ValueError as exc:
        raise CommandError(f"{env_name(option)}: {exc}") from None


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
    """The machine's IANA zone name as tzlocal finds it on each platform; None when it cannot tell."""
    import tzlocal

    try:
        return tzlocal.get_localzone_name()
    except Exception:  # tzlocal raises its own and zoneinfo's errors for a misconfigured machine: fall back to UTC
        return None
