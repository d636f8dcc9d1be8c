"""A regex compiled on first use.

The date grammar has some fifty rules and the first phrase a desktop host sends should not wait for all of them to
compile: each pattern is compiled when a phrase first reaches it, then kept.
"""

import re


class LazyPattern:
    """`re.compile(source)`, deferred until the first match."""

    __slots__ = ("source", "_compiled")

    def __init__(self, source: str):
        self.source = source
        self._compiled: re.Pattern | None = None

    def _pattern(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled

    def fullmatch(self, text: str) -> re.Match | None:
        compiled = self._compiled  # read directly: this runs for every rule on every phrase
        return (compiled or self._pattern()).fullmatch(text)
