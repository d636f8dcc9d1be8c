"""Tool arguments generated from a tool's own input schema, and from well outside it.

An AI model sends anything: the right shape with odd values, the wrong types, keys that do not exist, megabyte
strings, deep nesting, unicode and control characters. `Generator` makes such arguments from the published
`inputSchema` (so a new tool or a new field is covered without changing this file), seeded so that every run
sends exactly the same calls and a failure repeats.
"""

import random
from typing import Any

HUGE = 20_000  # characters of a "huge" string here (10,000 calls must stay quick); 1 MB has its own test
DEEP = 150  # nesting of a "deep" value (the in-memory client serializes up to a few hundred levels)
ODD_TEXT = (
    "",
    " ",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "line\nbreak\r\n",
    "\u202eright-to-left",
    "Zoë Ünïcødé 漢字 🩻",
    "\ufeffBOM",
    "' OR 1=1 --",
    "%s%s%n",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "null",
    "NaN",
    "-1",
    "1e309",
    "{",
    "[1, 2",
    '{"filters": []}',
)
ODD_NUMBERS = (0, -1, 2**31, 2**63, 10**30, -(10**30), 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 0.5)


class Generator:
    """Seeded arguments for one tool's input schema: `inside()` fits the schema, `outside()` breaks it somewhere."""

    def __init__(
        self, schema: dict[str, Any], seed: int, texts: tuple[str, ...] = (), known: dict[str, Any] | None = None
    ):
        """`texts`: strings to send as values besides the odd ones here, e.g. real patient IDs (never as keys).
        `known`: real values by argument name (an existing image set's id), sent for half the arguments so named,
        so that calls get past "not found" into the tools' deeper paths."""
        self.schema = schema
        self.defs = schema.get("$defs", {})
        self.random = random.Random(seed)
        self.texts = ODD_TEXT + tuple(texts)
        self.known = known or {}

    # -- values that fit ------------------------------------------------------------------------------------------

    def inside(self) -> dict[str, Any]:
        """Some of the tool's arguments, each valid by its schema (the tool may still refuse the combination)."""
        properties = self.schema.get("properties", {})
        required = set(self.schema.get("required", ()))
        chosen = [name for name in properties if name in required or self.random.random() < 0.25]
        return {name: self._known_or_fitting(name, properties[name]) for name in chosen}

    def _known_or_fitting(self, name: str, schema: dict[str, Any]) -> Any:
        if name in self.known and self.random.random() < 0.5:
            return self.known[name]
        return self.fitting(schema)

    def fitting(self, schema: dict[str, Any], depth: int = 0) -> Any:
        schema = self._resolved(schema)
        choices = schema.get("anyOf") or schema.get("oneOf")
        if choices:
            return self.fitting(self.random.choice(choices), depth + 1)
        if "enum" in schema:
            return self.random.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type", "string")
        kind = self.random.choice(kind) if isinstance(kind, list) else kind
        return getattr(self, f"_fitting_{kind}")(schema, depth)

    def _resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.defs[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _fitting_string(self, schema: dict[str, Any], depth: int) -> str:
        if "pattern" in schema and "0-9a-z" in schema["pattern"]:
            return "".join(self.random.choice("0123456789abcdef") for _ in range(32))
        if "pattern" in schema and "0-9." in schema["pattern"]:
            return ".".join(str(self.random.randint(1, 99999)) for _ in range(self.random.randint(2, 8)))
        pool = ("CT", "MR", "last March", "since 2020", "20230101-20230315", "yesterday", "SUBJECT08701", "Q3 2021")
        text = self.random.choice(pool + self.texts)
        return text[: schema.get("maxLength", len(text))]

    def _fitting_integer(self, schema: dict[str, Any], depth: int) -> int:
        return self.random.randint(schema.get("minimum", 0), schema.get("maximum", 1000))

    def _fitting_number(self, schema: dict[str, Any], depth: int) -> float:
        return self.random.choice((0.0, 1.5, 1_600_000_000.0, 1_700_000_000.25, -5.0))

    def _fitting_boolean(self, schema: dict[str, Any], depth: int) -> bool:
        return self.random.random() < 0.5

    def _fitting_null(self, schema: dict[str, Any], depth: int) -> None:
        return None

    def _fitting_array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 3), low + 3)
        return [self.fitting(schema.get("items", {}), depth + 1) for _ in range(self.random.randint(low, high))]

    def _fitting_object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        if not properties or depth > 8:
            return {}
        required = set(schema.get("required", ()))
        chosen = [name for name in properties if name in required or self.random.random() < 0.5]
        return {name: self.fitting(properties[name], depth + 1) for name in chosen}

    # -- values that do not --------------------------------------------------------------------------------------

    def outside(self) -> tuple[str, dict[str, Any]]:
        """(the kind of damage, the arguments): valid arguments broken in one of several ways."""
        kind = self.random.choice(DAMAGE)
        return kind, getattr(self, f"_damage_{kind}")(self.inside())

    def hostile(self, depth: int = 0) -> Any:
        """One value of the wrong sort: any type, odd text, extreme numbers, big or deep structures."""
        pick = self.random.randrange(10)
        if pick == 0:
            return self.random.choice(self.texts)
        if pick == 1:
            return self.random.choice(ODD_NUMBERS)
        if pick == 2:
            return self.random.choice((True, False, None, [], {}, [None], {"": None}))
        if pick == 3:
            return self.random.choice("x\x00é漢🩻") * self.random.randint(513, HUGE)
        if pick == 4:
            return self.nested(self.random.randint(2, DEEP))
        if pick == 5:
            return [self.random.choice(("CT", 1, None))] * self.random.randint(17, 2_000)
        if pick == 6:
            return {f"k{index}": index for index in range(self.random.randint(1, 500))}
        if pick == 7:
            return "".join(chr(self.random.randint(0, 0x2FFF)) for _ in range(self.random.randint(1, 64)))
        if pick == 8 and depth < 3:
            return {self.random.choice(ODD_TEXT) or "k": self.hostile(depth + 1)}
        return self.random.choice(("[" * DEEP + "]" * DEEP, '{"a":' * 40 + "1" + "}" * 40, "[1,2,3]", "{}"))

    def nested(self, depth: int) -> Any:
        value: Any = self.random.choice(("CT", 1, None))
        for _ in range(depth):
            value = [value] if self.random.random() < 0.5 else {"values": value}
        return value

    def _damage_wrong_value(self, arguments: dict[str, Any]) -> dict[str, Any]:
        name = self.random.choice(list(self.schema.get("properties", {})) or ["x"])
        return dict(arguments, **{name: self.hostile()})

    def _damage_unknown_key(self, arguments: dict[str, Any]) -> dict[str, Any]:
        key = self.random.choice(("patient_idd", "PatientID", "", " ", "__proto__", "filters", "é", "\x00", "a" * 600))
        return dict(arguments, **{key: self.random.choice(("X", 1, None, {"a": 1}))})

    def _damage_nested_value(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """A valid nested structure with one inner value swapped for a hostile one."""
        damaged = dict(arguments)
        for name, value in arguments.items():
            if isinstance(value, (dict, list)) and value:
                damaged[name] = self._swap_inner(value)
                return damaged
        return self._damage_wrong_value(arguments)

    def _swap_inner(self, value: Any) -> Any:
        if isinstance(value, dict) and value:
            key = self.random.choice(list(value))
            return dict(value, **{key: self._swap_inner(value[key]) if self.random.random() < 0.6 else self.hostile()})
        if isinstance(value, list) and value:
            index = self.random.randrange(len(value))
            return value[:index] + [self._swap_inner(value[index])] + value[index + 1 :]
        return self.hostile()

    def _damage_every_value(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {name: self.hostile() for name in arguments} or {"x": self.hostile()}

    def _damage_none(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Arguments inside the schema: the tool must still answer them, with results or a clear refusal."""
        return arguments


# Each kind once, "wrong_value" thrice: most calls a model gets wrong have one bad value among good ones.
DAMAGE = ("wrong_value", "wrong_value", "wrong_value", "unknown_key", "nested_value", "every_value", "none")
