"""What every tool answer must be, whatever was sent: a result, or a refusal the model can act on.

The MCP SDK turns any exception a tool lets escape into the bare text "Error executing tool NAME" (masked: the
model learns nothing) and the server's own catch-all into "failed inside the server" (a bug met). Neither is an
acceptable answer to bad input, and neither is a traceback.
"""

from collections import Counter

PREFIX = "Error executing tool "
SHORTEST_ADVICE = 20  # characters: anything shorter cannot say what was wrong and what to send instead


def text_of(result) -> str:
    return "\n".join(part.text for part in result.content if part.type == "text")


def problem(tool: str, result) -> str | None:
    """None for a proper answer; otherwise a short name for what is wrong with it."""
    text = text_of(result)
    if "Traceback" in text or 'File "' in text:
        return "traceback in the answer"
    if not result.is_error:
        return None if isinstance(result.structured_content, dict) else "result without structured content"
    message = text.removeprefix(f"{PREFIX}{tool}").removeprefix(":").strip()
    if not message:
        return "masked error"
    if "failed inside the server" in message:
        kind = message.partition("(")[2].partition(")")[0]
        return f"internal failure ({kind})"
    if len(message) < SHORTEST_ADVICE:
        return "refusal too short to act on"
    return None


class Tally:
    """Problems met, counted by (tool, input class, problem), each with the first arguments that caused it."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: dict[tuple[str, str, str], str] = {}
        self.calls = 0

    def record(self, tool: str, kind: str, found: str | None, arguments) -> None:
        self.calls += 1
        if found is None:
            return
        key = (tool, kind, found)
        self.counts[key] += 1
        self.examples.setdefault(key, _shortened(repr(arguments)))

    def report(self) -> str:
        lines = [f"{sum(self.counts.values())} bad answers in {self.calls} calls:"]
        for (tool, kind, found), count in self.counts.most_common():
            lines.append(f"  {tool} / {kind}: {found} x{count}, e.g. {self.examples[(tool, kind, found)]}")
        return "\n".join(lines)


def _shortened(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
