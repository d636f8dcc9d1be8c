"""Fault injection for the local HealthImaging endpoint: the misbehaviour a real service shows, on demand.

The AWS datastore's retries, error mapping and the tool layer's partial-result handling can only be proven against a
service that throttles, fails, hangs and drops connections. These faults make the local endpoint do that, either for
a seeded-random share of requests or for an explicit sequence of them, so a test can say exactly what it wants:

    Faults(throttle=0.3, seed=7)            # about 30% of requests answer 429 ThrottlingException
    Faults(fail="3-")                       # request 3 and every later one answers 500 InternalServerException
    Faults(fail="2,4", fail_kind="drop")    # requests 2 and 4 lose their connection, no answer at all
    Faults(fail="1-", fail_kind="hang")     # every request hangs (past the client's read timeout)
    Faults(fail="1-", fail_kind="expired")  # every request answers 403 ExpiredTokenException
    Faults(latency=0.05)                    # every request waits 50 ms first
    Faults(fail="2-", operations="SearchImageSets")  # the second search and later ones fail; nothing else does

Requests are numbered from 1 in arrival order, every request counting (a client's retry is a new request); with
`operations`, only the requests for those operations are counted, delayed and hit.
"""

import random
import re
import threading
from dataclasses import dataclass, field

# The answered failures: HTTP status, x-amzn-ErrorType and message. "drop" and "hang" answer nothing.
ANSWERS = {
    "throttle": (429, "ThrottlingException", "Rate exceeded"),
    "error": (500, "InternalServerException", "Internal failure"),
    "unavailable": (503, "ServiceUnavailableException", "Service unavailable"),
    "deny": (403, "AccessDeniedException", "User is not authorized to perform this action"),
    "expired": (403, "ExpiredTokenException", "The security token included in the request is expired"),
}
FAIL_KINDS = ("error", "unavailable", "deny", "expired", "drop", "hang")


@dataclass(frozen=True)
class RequestRule:
    """Which requests a fault hits: a share in [0, 1] (seeded random), or a sequence such as "3,4,5", "2-4", "6-"."""

    share: float = 0.0
    numbers: frozenset[int] = frozenset()
    from_number: int | None = None  # "6-": request 6 and every one after it

    @classmethod
    def parse(cls, value: "float | str | RequestRule | None") -> "RequestRule":
        """A float is a share; a string is a share ("0.3") or a sequence ("3,4,5", "2-4", "6-")."""
        if value is None:
            return cls()
        if isinstance(value, RequestRule):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls._share(float(value))
        text = str(value).strip()
        if "." in text:
            try:
                return cls._share(float(text))
            except ValueError:
                raise ValueError(_bad_rule(text)) from None
        return cls._sequence(text)

    @classmethod
    def _share(cls, share: float) -> "RequestRule":
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"a fault share must be between 0 and 1, got {share}: send e.g. 0.3 for 30%")
        return cls(share=share)

    @classmethod
    def _sequence(cls, text: str) -> "RequestRule":
        numbers: set[int] = set()
        from_number = None
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = SEQUENCE_PART.fullmatch(part)
            if not match or int(match["first"]) < 1:
                raise ValueError(_bad_rule(part))
            first = int(match["first"])
            if match["dash"] is None:
                numbers.add(first)
            elif match["last"]:
                numbers.update(range(first, int(match["last"]) + 1))
            else:
                from_number = first if from_number is None else min(from_number, first)
        return cls(numbers=frozenset(numbers), from_number=from_number)

    def hits(self, number: int, draw: float) -> bool:
        """Whether request `number` is hit; `draw` is this request's random number in [0, 1)."""
        if number in self.numbers or (self.from_number is not None and number >= self.from_number):
            return True
        return draw < self.share


SEQUENCE_PART = re.compile(r"(?P<first>\d+)(?P<dash>-(?P<last>\d*))?")


def _bad_rule(text: str) -> str:
    return (
        f"cannot read {text!r} as a fault rule: send a share like 0.3, or request numbers counted from 1 "
        "like 3,4,5 / 2-4 / 6- (request 6 and every later one)"
    )


@dataclass
class Faults:
    """What the endpoint does wrong, and a count of what it has seen (`requests`, `injected`), safe across threads.

    `throttle` and `fail` take a RequestRule, a share (0.3) or a sequence ("3-"). `fail_kind` is "error" (500
    InternalServerException), "unavailable" (503), "deny" (403 AccessDeniedException), "expired" (403
    ExpiredTokenException), "drop" (close the connection without an answer) or "hang" (answer nothing for
    `hang_seconds`, long enough to pass a client's read timeout). `latency` seconds are added to every request.
    Throttling is checked first, so a request hit by both is throttled. `operations` (names such as
    "SearchImageSets", as a set or comma-separated) limits all of it to those operations; None means every request.
    """

    throttle: "RequestRule | float | str | None" = None
    fail: "RequestRule | float | str | None" = None
    fail_kind: str = "error"
    latency: float = 0.0
    hang_seconds: float = 30.0
    seed: int = 0
    operations: "frozenset[str] | str | None" = None
    requests: int = field(default=0, init=False)
    injected: int = field(default=0, init=False)

    def __post_init__(self):
        self.throttle = RequestRule.parse(self.throttle)
        self.fail = RequestRule.parse(self.fail)
        if isinstance(self.operations, str):
            self.operations = frozenset(filter(None, (name.strip() for name in self.operations.split(","))))
        elif self.operations is not None:
            self.operations = frozenset(self.operations)
        if self.fail_kind not in FAIL_KINDS:
            raise ValueError(f"unknown fail kind {self.fail_kind!r}: use one of {', '.join(FAIL_KINDS)}")
        if self.latency < 0 or self.hang_seconds < 0:
            raise ValueError("latency and hang_seconds are seconds and cannot be negative")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def applies_to(self, operation: str | None) -> bool:
        """Whether requests for `operation` (None: a request no operation answers) are this fault set's business."""
        return self.operations is None or operation in self.operations

    def next_request(self) -> str | None:
        """Count one request and say what to do with it: None (answer it normally), "throttle" or a fail kind."""
        with self._lock:
            self.requests += 1
            number = self.requests
            throttle_draw, fail_draw = self._random.random(), self._random.random()
            if self.throttle.hits(number, throttle_draw):
                action = "throttle"
            elif self.fail.hits(number, fail_draw):
                action = self.fail_kind
            else:
                return None
            self.injected += 1
            return action
