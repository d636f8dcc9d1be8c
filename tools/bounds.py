"""How big a call's arguments may be, checked before any validation so that no request costs much to refuse.

Validating and describing costs time per key: 200,000 unknown keys once took 68 s and 387 MB. A valid call holds
a few dozen keys and list items and nests six levels (search_criteria.filters[].values[].DICOMStudyDateAndTime
.DICOMStudyDate), so the arguments are counted first, in a walk that stops as soon as a limit is passed, and a call
over a limit is refused in one line that names (or, for an unknown name, describes) the argument at fault.
"""

from typing import Any, Collection

from imageset_search.tools.errors import SearchError, unknown_key

MAX_ARGUMENTS = 64  # top-level keys; each tool knows fewer than 20
MAX_ITEMS = 20_000  # keys and list items at every level together
MAX_DEPTH = 16
DESCRIBED_UNKNOWN = 3


def too_many_items(message: bytes | str) -> bool:
    """True when a JSON message holds more than MAX_ITEMS commas, so more keys and list items than a call may hold:
    found without parsing it, because the SDK's parse alone costs about a microsecond a key before any check here."""
    return message.count(b"," if isinstance(message, bytes) else ",") > MAX_ITEMS


TOO_MANY_ITEMS = (
    f"Invalid Request: the message holds more than {MAX_ITEMS} keys and list items; a search needs a few dozen: "
    "send only what the tool's input schema describes"
)


def check_size(arguments: dict[str, Any], known: Collection[str]) -> None:
    """Raise SearchError when `arguments` has too many keys, items or levels; `known` are the tool's names."""
    if len(arguments) > MAX_ARGUMENTS:
        raise SearchError(_too_many_arguments(arguments, known))
    budget = MAX_ITEMS
    for name, value in arguments.items():
        counted = _count(value, budget)
        if counted is None:
            raise SearchError(
                f"Invalid arguments: {_named(name, known)} holds more than {MAX_ITEMS} keys and list items, or nests "
                f"deeper than {MAX_DEPTH} levels: a search needs a few dozen; "
                "send only what the input schema describes."
            )
        budget -= counted


def _count(value: Any, budget: int) -> int | None:
    """Keys and list items in `value` at every level; None as soon as they pass `budget` or nest past MAX_DEPTH."""
    counted = 0
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        counted += len(children)
        if counted > budget or (children and depth >= MAX_DEPTH):
            return None
        pending.extend((child, depth + 1) for child in children)
    return counted


def _too_many_arguments(arguments: dict[str, Any], known: Collection[str]) -> str:
    unknown = [name for name in arguments if name not in known]
    described = "; ".join(dict.fromkeys(unknown_key(name) for name in unknown[:DESCRIBED_UNKNOWN]))
    return (
        f"Invalid arguments: {len(arguments)} arguments were sent, {len(unknown)} of them unknown ({described}; "
        f"the others not described): send at most {MAX_ARGUMENTS}, and only the names in the tool's input schema."
    )


def _named(name: str, known: Collection[str]) -> str:
    return name if name in known else f"an unknown argument of {len(name)} characters"
