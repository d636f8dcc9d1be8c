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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

FRONT_MATTER = "+++"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME = r"^[a-z][a-z0-9_]{0,63}$"
EXACT = ConfigDict(extra="forbid", frozen=True, strict=True)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NAME)]


class PromptError(ValueError):
    """A template file that cannot be loaded, or a render call with missing or unknown arguments."""


class PromptArgument(BaseModel):
    """One [[arguments]] table of the front matter."""

    model_config = EXACT
    name: Name
    description: Text
    required: bool = False
    default: str = ""  # what an optional argument's placeholder becomes when it is left out

    @model_validator(mode="after")
    def _no_default_when_required(self) -> "PromptArgument":
        if self.required and self.default:
            raise ValueError("a required argument has no default")
        return self


class FrontMatter(BaseModel):
    """The TOML between the two `+++` lines: the template's MCP name, title and description, and its arguments."""

    model_config = EXACT
    name: Name
    title: Text
    description: Text
    arguments: tuple[PromptArgument, ...] = Field(default=(), strict=False)  # TOML gives a list


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


def _complaint(error: dict, source: str) -> str:
    """One pydantic error in the words of a template's author: where in the front matter, and what to write."""
    loc = error["loc"]
    where = f"{source} argument {loc[1] + 1}" if loc[:1] == ("arguments",) and len(loc) > 1 else source
    key = str(loc[-1]) if loc else "front matter"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown {'key' if where != source else 'front matter key'} {key}"
    if kind == "string_pattern_mismatch":
        return f"{where}: {key} must be lower-case letters, digits and _"
    if kind in ("bool_type", "string_type") and key in ("required", "default"):
        return f"{where}: 'required' is true or false and 'default' a string"
    if key in ("title", "description", "name") and kind in ("missing", "string_too_short", "string_type"):
        return f"{where}: '{key}' must be a non-empty string"
    if kind in ("tuple_type", "model_type"):
        return f"{where}: arguments are [[arguments]] tables with name, description and required"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


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
    try:
        matter = FrontMatter.model_validate(front)
    except ValidationError as exc:
        raise PromptError(_complaint(exc.errors(include_url=False)[0], source)) from None
    template = PromptTemplate(matter.name, matter.title, matter.description, matter.arguments, body)
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
