"""Spelled-out numbers in date phrases made digits: "twenty second" -> "22nd", "nineteen ninety nine" -> "1999",
"two thousand and eighteen" -> "2018", "the seventies" -> "the 70s", "the nineteen seventies" -> "the 1970s".

The grammar then has one way to read a number. A run of number words is read as a whole, so "nineteen twenty eight"
becomes one year and not three numbers.
"""

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
DECADES = {
    "tens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70,
    "eighties": 80, "nineties": 90,
}
NOUGHTIES = ("noughties", "naughties", "aughts", "oughties")
SCALES = {"hundred": 100, "thousand": 1000}

_WORDS = sorted([*UNITS, *TENS, *ORDINALS, *DECADES, *SCALES], key=len, reverse=True)
_WORD = r"(?:" + "|".join(_WORDS) + r")"
_RUN = re.compile(r"\b" + _WORD + r"(?:(?:\s+|-)(?:(?<=thousand )and\s+|(?<=hundred )and\s+)?" + _WORD + r")*\b")
_NOUGHTIES = re.compile(r"\b(?:" + "|".join(NOUGHTIES) + r")\b")


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _groups(words: list[str]) -> list[int]:
    """Numbers below 100 the words spell, each tens word (or "oh") absorbing a following unit: [twenty, two] -> [22],
    [twenty, oh, five] -> [20, 5]."""
    groups: list[int] = []
    previous = None
    for word in words:
        value = UNITS.get(word, ORDINALS.get(word, TENS.get(word, DECADES.get(word))))
        takes_unit = previous == "oh" or (groups and groups[-1] % 10 == 0 and groups[-1] >= 20)
        if takes_unit and value < 10 and word not in DECADES and word != "oh":
            groups[-1] += value
        else:
            groups.append(value)
        previous = word
    return groups


def _with_scale(words: list[str]) -> int:
    """Words with hundred/thousand: "two thousand fourteen" -> 2014, "nineteen hundred" -> 1900."""
    total, pending = 0, []
    for word in words:
        if word in SCALES:
            scaled = max(sum(_groups(pending)), 1) * SCALES[word]
            total, pending = (total + scaled, []) if word == "thousand" else (total, [str(scaled)])
        else:
            pending.append(word)
    return total + sum(int(word) if word.isdigit() else _groups([word])[0] for word in pending)


def _spell(run: str) -> str:
    words = [word for word in re.split(r"[\s-]+", run) if word != "and"]
    return _spell_words(words)


def _spell_words(words: list[str]) -> str:
    """Digits for a run of number words; an ordinal ends a number ("eleventh two thousand one" = 11th 2001)."""
    if words[0] == "oh":  # "oh" is a zero only inside a year ("twenty oh five"), else the interjection
        return " ".join(["oh", _spell_words(words[1:])]) if len(words) > 1 else "oh"
    inner_ordinal = next((index for index, word in enumerate(words[:-1]) if word in ORDINALS), None)
    if inner_ordinal is not None:
        return f"{_spell_words(words[:inner_ordinal + 1])} {_spell_words(words[inner_ordinal + 1:])}"
    last = words[-1]
    if any(word in SCALES for word in words):
        number = _with_scale(words)
        return _ordinal(number) if last in ORDINALS else str(number)
    groups = _groups(words)
    if last in DECADES:
        decade = groups[-1]
        century = groups[0] if len(groups) == 2 and 10 <= groups[0] <= 29 else None
        return f"{century * 100 + decade}s" if century else f"{decade}s"
    if len(groups) == 2 and 10 <= groups[0] <= 29 and last not in ORDINALS:
        return str(groups[0] * 100 + groups[1])
    text = " ".join(str(group) for group in groups)
    return _ordinal(groups[-1]) if last in ORDINALS and len(groups) == 1 else text


def spell_numbers(text: str) -> str:
    """`text` (lower case) with every run of number words replaced by digits."""
    text = _NOUGHTIES.sub("2000s", text)
    return _RUN.sub(lambda match: _spell(match.group(0)), text)
