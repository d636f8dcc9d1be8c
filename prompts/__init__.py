"""MCP prompt templates: one markdown file per workflow, with its arguments declared in a TOML front matter.

A template file starts with a front matter between two `+++` lines (TOML, read by the standard library, so no YAML
parser is needed) and continues with the markdown body:

    +++
    name = "patient_studies"
    title = "A patient's studies in a period"
    description = "..."

    [[arguments]]
    name = "patient_id"
    description = "..."
    required = true          # optional arguments may give `default`, the text used when they are left out
    +++
    Body text with {patient_id} placeholders.

Only `{name}` of a declared argument is a placeholder; other braces (JSON examples) are left as written. Loading
checks that every placeholder is declared and every argument is used, so a typo in a template fails at start-up,
not in front of a user. The server registers the templates; this package is plain data and knows nothing of MCP.
"""

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

FRONT_MATTER = "+++"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class PromptError(ValueError):
    """A template file that cannot be loaded, or a render call with missing or unknown arguments."""


@dataclass(frozen=True)
class PromptArgument:
    name: str
    description: str
    required: bool = False
    default: str = ""  # what an optional argument's placeholder becomes when it is left out


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArgument, ...]
    body: str

    def render(self, **arguments: Any) -> str:
        """The body with each `{argument}` filled in; values are inserted as text, never expanded again."""
        declared = {argument.name: argument for argument in self.arguments}
        unknown = len(set(arguments) - set(declared))
        if unknown:  # counted, not named: a name sent may be a value put where a name belongs
            raise PromptError(
                f"prompt {self.name} has {unknown} unknown argument{'s' if unknown > 1 else ''}; its arguments are: "
                + (", ".join(declared) or "none")
            )
        values = {}
        for name, argument in declared.items():
            given = arguments.get(name)
            text = "" if given is None else str(given).strip()
            if not text and argument.required:
                raise PromptError(f"prompt {self.name} needs the argument {name}: {argument.description}")
            values[name] = text or argument.default
        return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), self.body)


def _split(text: str, source: str) -> tuple[dict[str, Any], str]:
    """(front matter as a dict, body) of one template file."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise PromptError(f"{source}: a prompt template starts with a '+++' line opening its TOML front matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == FRONT_MATTER)
    except StopIteration:
        raise PromptError(f"{source}: the front matter is not closed by a second '+++' line") from None
    try:
        front = tomllib.loads("".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{source}: the front matter is not valid TOML ({exc})") from None
    return front, "".join(lines[end + 1 :]).strip() + "\n"


def _text_field(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PromptError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def _argument(table: Any, where: str) -> PromptArgument:
    if not isinstance(table, dict):
        raise PromptError(f"{where}: each [[arguments]] entry is a table with name, description and required")
    unknown = sorted(set(table) - {"name", "description", "required", "default"})
    if unknown:
        raise PromptError(f"{where}: unknown key {', '.join(unknown)}; use name, description, required, default")
    name = _text_field(table, "name", where)
    if not NAME.match(name):
        raise PromptError(f"{where}: argument name {name!r} must be lower-case letters, digits and _")
    required = table.get("required", False)
    default = table.get("default", "")
    if not isinstance(required, bool) or not isinstance(default, str):
        raise PromptError(f"{where}: 'required' is true or false and 'default' a string")
    if required and default:
        raise PromptError(f"{where}: a required argument has no default")
    return PromptArgument(name, _text_field(table, "description", where), required, default)


def _check_placeholders(template: PromptTemplate, source: str) -> None:
    used = set(PLACEHOLDER.findall(template.body))
    declared = {argument.name for argument in template.arguments}
    if len(declared) != len(template.arguments):
        raise PromptError(f"{source}: an argument is declared twice")
    if used - declared:
        raise PromptError(f"{source}: the body uses undeclared {', '.join(sorted(used - declared))}")
    if declared - used:
        raise PromptError(f"{source}: argument {', '.join(sorted(declared - used))} is declared but never used")


def parse_template(text: str, source: str = "template") -> PromptTemplate:
    """One template from the text of its file; `source` names it in errors."""
    front, body = _split(text, source)
    unknown = sorted(set(front) - {"name", "title", "description", "arguments"})
    if unknown:
        raise PromptError(f"{source}: unknown front matter key {', '.join(unknown)}")
    name = _text_field(front, "name", source)
    if not NAME.match(name):
        raise PromptError(f"{source}: prompt name {name!r} must be lower-case letters, digits and _")
    entries = front.get("arguments", [])
    if not isinstance(entries, list):
        raise PromptError(f"{source}: arguments are [[arguments]] tables")
    template = PromptTemplate(
        name=name,
        title=_text_field(front, "title", source),
        description=_text_field(front, "description", source),
        arguments=tuple(_argument(entry, f"{source} argument {i + 1}") for i, entry in enumerate(entries)),
        body=body,
    )
    _check_placeholders(template, source)
    return template


def load_prompts() -> list[PromptTemplate]:
    """Every template shipped in this package (its *.md files), sorted by name; names are unique."""
    files = sorted(
        (entry for entry in resources.files(__name__).iterdir() if entry.name.endswith(".md")),
        key=lambda entry: entry.name,
    )
    templates = [parse_template(entry.read_text(encoding="utf-8"), entry.name) for entry in files]
    names = [template.name for template in templates]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PromptError(f"two prompt templates are both named {', '.join(duplicates)}")
    return sorted(templates, key=lambda template: template.name)
