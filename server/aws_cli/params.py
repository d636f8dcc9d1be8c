"""Where an option's value comes from, as the AWS CLI reads it: JSON or file://PATH values, and env-var fallbacks.

An option given on the command line wins; else the value the caller put in `--cli-input-json`; else the option's
IMAGESET_SEARCH_* environment variable; else the built-in default. Errors quote the option, never the value, since
values may hold patient identifiers.
"""

import json
from pathlib import Path
from typing import Any, Callable

from imageset_search.server.config import env_default, env_name
from imageset_search.server.errors import CommandError

FILE_PREFIX = "file://"


def dest(option: str) -> str:
    """argparse's attribute for an option: `--page-size` -> `page_size`."""
    return option.lstrip("-").replace("-", "_")


def read_param_text(option: str, value: str) -> str:
    """The text of a parameter: the value itself, or the contents of the file a `file://PATH` value names."""
    if not value.startswith(FILE_PREFIX):
        return value
    path = Path(value[len(FILE_PREFIX) :]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a UTF-8 text file"
        raise CommandError(
            f"Error parsing parameter '{option}': Unable to load paramfile {value}: {reason}; "
            f"check the path after {FILE_PREFIX} (relative paths start at the current folder)"
        ) from None


def load_json_object(option: str, value: str, example: str) -> dict[str, Any]:
    """A JSON object given inline or as file://PATH; anything else is refused with an example of what to send."""
    text = read_param_text(option, value)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"Error parsing parameter '{option}': Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            f"send a JSON object such as {example}, inline or as {FILE_PREFIX}PATH"
        ) from None
    if not isinstance(document, dict):
        raise CommandError(
            f"Error parsing parameter '{option}': expected a JSON object, got a JSON {_json_kind(document)}; "
            f"send a JSON object such as {example}"
        )
    return document


def _json_kind(document: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(document), "value")


def load_cli_input(value: str | None, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The `--cli-input-json` document (as `--generate-cli-skeleton input` prints it); unknown keys are refused."""
    if value is None:
        return {}
    document = load_json_object("--cli-input-json", value, '{"datastoreId": "...", "searchCriteria": {...}}')
    unknown = [key for key in document if key not in allowed]
    if unknown:
        raise CommandError(
            f"Unknown parameter in --cli-input-json: {json.dumps(unknown[0])}, must be one of: {', '.join(allowed)}"
        )
    return document


def to_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("not a whole number") from None


def setting(args, option: str, convert: Callable[[str], Any] = str, default: Any = None) -> Any:
    """The option from the command line, else its environment variable (converted), else `default`."""
    value = getattr(args, dest(option), None)
    if value is not None:
        return value
    raw = env_default(option)
    if raw is None or raw.strip() == "":
        return default
    try:
        return convert(raw)
    except ValueError as exc:
        raise CommandError(f"Bad value in environment variable {env_name(option)} (for {option}): {exc}") from None


def env_help(option: str, text: str) -> str:
    """Help text that names the option's environment variable, so every fallback is discoverable from --help."""
    return f"{text} (env {env_name(option)})".replace("%", "%%")
