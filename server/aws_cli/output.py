"""Print a response as the AWS CLI does: `--output json|text|table` after an optional `--query` (JMESPath).

The layouts follow awscli's formatter, text and table modules (awscli v2 with ISO-8601 timestamps), written small
here because awscli is only a test dependency: the tests compare both byte for byte.
"""

import json
import os
import sys
import unicodedata
from datetime import date, datetime
from typing import Any, TextIO

from imageset_search.server.errors import CommandError
from imageset_search.server.terminal_text import printable

OUTPUT_FORMATS = ("json", "text", "table")


def iso_timestamps(value: Any) -> Any:
    """The response with every datetime as ISO-8601 text ("2022-12-06T21:40:59.429000+00:00"), as awscli v2 prints."""
    if isinstance(value, dict):
        return {key: iso_timestamps(item) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_timestamps(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def compile_query(expression: str | None):
    """The compiled `--query`, or None; a malformed expression is a bad parameter."""
    if expression is None:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        raise CommandError(f"Bad value for --query: {query_problem(exc)}; see jmespath.org for the syntax") from None


def query_problem(exc: Exception) -> str:
    """What is wrong with a JMESPath expression, without quoting it or the data (either may hold patient values)."""
    from jmespath import exceptions

    where = f" at character {exc.lex_position + 1}" if getattr(exc, "lex_position", None) is not None else ""
    if isinstance(exc, exceptions.JMESPathTypeError):
        return f"function {exc.function_name}() got a {exc.actual_type}, it takes {' or '.join(exc.expected_types)}"
    if isinstance(exc, exceptions.ArityError | exceptions.UnknownFunctionError):
        return str(exc)
    if isinstance(exc, exceptions.IncompleteExpressionError):
        return f"the expression ends before it is complete{where}"
    if isinstance(exc, exceptions.LexerError):
        return f"an unclosed quote or delimiter, or a character JMESPath does not allow{where}"
    return f"a token out of place{where}"


def apply_query(query, data: Any) -> Any:
    """`data` as --query selects it; a function misused on this data is a bad parameter too."""
    from jmespath.exceptions import JMESPathError

    try:
        return query.search(data)
    except JMESPathError as exc:
        raise CommandError(f"Bad value for --query: {query_problem(exc)}") from None


def render(data: Any, output: str, *, query=None, title: str = "SearchImageSets", stream: TextIO | None = None):
    """Write `data` (ISO timestamps already) in `output` format to `stream` (stdout by default)."""
    stream = stream or sys.stdout
    if query is not None:
        data = apply_query(query, data)
    if output == "json":
        write_json(data, stream)
    elif output == "text":
        write_text(printable(data), stream)
    else:
        write_table(printable(data), title, stream)


def write_json(data: Any, stream: TextIO) -> None:
    """awscli prints nothing for an empty object, and everything else indented by four."""
    if data != {}:
        stream.write(json.dumps(data, indent=4, ensure_ascii=False) + "\n")


# --- text: tab-separated lines, one per object, nested objects under their key in upper case ---------------------


def write_text(data: Any, stream: TextIO, identifier: str | None = None, scalar_keys: list[str] | None = None) -> None:
    if isinstance(data, dict):
        _text_dict(data, stream, identifier, scalar_keys)
    elif isinstance(data, list):
        _text_list(data, stream, identifier)
    else:
        stream.write(f"{data}\n")


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _text_list(items: list, stream: TextIO, identifier: str | None) -> None:
    if not items:
        return
    if any(isinstance(item, dict) for item in items):
        keys, _ = _split_keys([item for item in items if isinstance(item, dict)])
        for item in items:
            write_text(item, stream, identifier, keys)
        return
    scalars = [item for item in items if _is_scalar(item)]
    if scalars:
        if identifier is None:
            stream.write("\t".join(str(item) for item in scalars) + "\n")
        else:
            stream.writelines(f"{identifier.upper()}\t{item}\n" for item in scalars)
    for item in items:
        if not _is_scalar(item):
            write_text(item, stream, identifier)


def _text_dict(item: dict, stream: TextIO, identifier: str | None, scalar_keys: list[str] | None) -> None:
    if scalar_keys is None:
        scalar_keys = sorted(key for key, value in item.items() if _is_scalar(value))
    nested = sorted(set(item) - set(scalar_keys))
    cells = [str(item.get(key, "")) for key in scalar_keys]
    if cells:
        stream.write("\t".join(([identifier.upper()] if identifier else []) + cells) + "\n")
    for key in nested:
        write_text(item[key], stream, key)


# --- table: boxed sections, one per object, nested objects indented under their title ---------------------------


def text_width(text: str) -> int:
    """Columns a string takes on a terminal: East Asian wide and ambiguous characters take two, as awscli counts."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in str(text))


def terminal_width(default: int = 80) -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return default


class Section:
    """One box: a title, optional column headers, rows of cells, indented by nesting depth."""

    def __init__(self, title: str, indent: int):
        self.title = title
        self.indent = indent
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.natural: list[int] = []

    def _widen(self, cells: list[str]) -> None:
        lengths = [text_width(cell) for cell in cells]
        self.natural = [max(pair) for pair in zip(self.natural, lengths)] if self.natural else lengths

    def add_headers(self, headers: list[str]) -> None:
        self._widen(headers)
        self.headers = headers

    def add_row(self, cells: list[Any]) -> None:
        row = [str(cell) for cell in cells]
        self.rows.append(row)
        self._widen(row)

    def total_width(self) -> int:
        columns = sum(width + 4 for width in self.natural) + 2 if self.natural else 2
        return max(text_width(self.title) + 2, columns) + 2 * self.indent

    def column_widths(self, total: int) -> list[int]:
        """Natural widths scaled to fill `total` exactly, rounding as awscli does."""
        unscaled = [width + 4 for width in self.natural]
        if not unscaled:
            return []
        scale = total / float(sum(unscaled))
        widths = [int(round(scale * width)) for width in unscaled]
        off_by = sum(widths) - total
        while off_by:  # too wide: narrow columns from the left; too narrow: widen them from the right
            step = 1 if off_by > 0 else -1
            for index in range(len(widths)) if step > 0 else reversed(range(len(widths))):
                widths[index] -= step
                off_by -= step
                if not off_by:
                    break
        return widths

    def to_vertical(self) -> "Section":
        """A one-row section as header/value pairs, for output too wide for the terminal."""
        if len(self.rows) != 1 or not self.headers:
            return self
        vertical = Section(self.title, self.indent)
        for header, cell in zip(self.headers, self.rows[0]):
            vertical.add_row([header, cell])
        return vertical


def _center(text: str, length: int, left: str = "|", right: str = "|") -> str:
    start = length // 2 - text_width(text) // 2 - 1
    used = text_width(left) + start + text_width(text)
    return left + " " * start + text + " " * (length - text_width(right) - used) + right


def _align_left(text: str, length: int, left: str, right: str = "|") -> str:
    padding = 2 if length - (text_width(text) + 2 + len(left) + len(right)) >= 0 else 0
    line = left + " " * padding + text
    return line + " " * (length - text_width(line) - len(right)) + right


def _line_break(widths: list[int]) -> str:
    return "+" + "-" * (widths[0] - 2) + "+" + "".join("-" * (width - 1) + "+" for width in widths[1:])


def _cells(cells: list[str], widths: list[int], place) -> str:
    """One line of cells, each placed by `place(text, width, left_edge)`; only the first cell has a left edge."""
    placed = (place(cell, width, "|" if index == 0 else "") for index, (cell, width) in enumerate(zip(cells, widths)))
    return "".join(placed)


def _render_section(section: Section, max_width: int, stream: TextIO) -> None:
    bar = "|" * section.indent
    width = max_width - 2 * section.indent
    lines = []
    if section.title:
        lines.append(_center(section.title, width))
        if not section.headers and not section.rows:
            lines.append("+" + "-" * (width - 2) + "+")
    widths = section.column_widths(width)
    if section.headers:
        lines += [_line_break(widths), _cells(section.headers, widths, _center)]
    if section.rows and widths:
        lines.append(_line_break(widths))
        lines += [_cells(row, widths, _align_left) for row in section.rows]
        lines.append(_line_break(widths))
    stream.writelines(f"{bar}{line}{bar}\n" for line in lines)


def build_sections(data: Any, title: str | None, indent: int = 0, sections: list[Section] | None = None) -> list:
    """The boxes awscli's TableFormatter draws for `data`: scalars in rows, objects and lists as nested boxes."""
    sections = [] if sections is None else sections
    if not data:
        return sections
    if title is not None:
        sections.append(Section(title, indent))
    if isinstance(data, list):
        _list_sections(data, title, indent, sections)
    elif isinstance(data, dict):
        _dict_sections(data, indent, sections)
    return sections


def _split_keys(items: list[dict]) -> tuple[list[str], list[str]]:
    scalar = {key for item in items for key, value in item.items() if _is_scalar(value)}
    nested = {key for item in items for key, value in item.items() if not _is_scalar(value)}
    return sorted(scalar), sorted(nested)


def _list_sections(items: list, title: str | None, indent: int, sections: list[Section]) -> None:
    if isinstance(items[0], dict):
        headers, nested = _split_keys(items)
        sections[-1].add_headers(headers)
        for number, item in enumerate(items):
            if number and nested:
                sections.append(Section(title, indent))
                sections[-1].add_headers(headers)
            sections[-1].add_row([item.get(header, "") for header in headers])
            for key in nested:
                if key in item:
                    build_sections(item[key], key, indent + 1, sections)
        return
    for item in items:
        if _is_scalar(item):
            sections[-1].add_row([item])
        elif all(_is_scalar(element) for element in item):
            sections[-1].add_row(item)
        else:
            build_sections(item, None, 0, sections)


def _dict_sections(item: dict, indent: int, sections: list[Section]) -> None:
    headers, nested = _split_keys([item])
    if len(headers) == 1:
        sections[-1].add_row([headers[0], item[headers[0]]])
    elif headers:
        sections[-1].add_headers(headers)
        sections[-1].add_row([item[key] for key in headers])
    for key in nested:
        build_sections(item[key], key, indent + 1, sections)


def write_table(data: Any, title: str, stream: TextIO, width: int | None = None) -> None:
    sections = build_sections(data, title)
    if not sections:
        return
    width = terminal_width() if width is None else width
    max_width = max(section.total_width() for section in sections)
    if max_width > width:
        sections = [section.to_vertical() for section in sections]
        max_width = max(section.total_width() for section in sections)
    stream.write("-" * max_width + "\n")
    for section in sections:
        _render_section(section, max_width, stream)
