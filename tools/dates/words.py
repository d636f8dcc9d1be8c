"""The vocabulary of date phrases: month, weekday, holiday, season and relative words, and the regex pieces built
from them that every grammar rule shares (so "Sept", "sep" and "september" are one month everywhere).
"""

from .calendar import SEASONS, UNIT_WORDS  # noqa: F401 (grammar imports UNIT_WORDS from here)

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2, "thursday": 3,
    "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
# Fixed-date holidays only (CONVENTIONS C16): movable ones (Easter, Thanksgiving) are not guessed.
HOLIDAYS = {
    "christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25), "xmas": (12, 25),
    "new years eve": (12, 31), "new year eve": (12, 31), "new years day": (1, 1), "new year day": (1, 1),
    "new years": (1, 1), "new year": (1, 1), "valentines day": (2, 14), "valentine day": (2, 14),
    "valentines": (2, 14), "halloween": (10, 31), "independence day": (7, 4), "boxing day": (12, 26),
    "st patricks day": (3, 17), "saint patricks day": (3, 17), "veterans day": (11, 11), "juneteenth": (6, 19),
}
# Misspellings common enough to be clear, each read as the word meant (a typo no one would misread).
MISSPELLINGS = {
    "janurary": "january", "januray": "january", "jaunary": "january", "febuary": "february",
    "feburary": "february", "februrary": "february", "feburay": "february", "apirl": "april", "agust": "august",
    "augest": "august", "septmber": "september", "setpember": "september", "septemeber": "september",
    "ocotber": "october", "octber": "october", "novmber": "november", "novemeber": "november",
    "decmber": "december", "decemeber": "december", "wensday": "wednesday", "wendsday": "wednesday",
    "wedensday": "wednesday", "wednsday": "wednesday", "thrusday": "thursday", "thursay": "thursday",
    "tuseday": "tuesday", "tusday": "tuesday", "saterday": "saturday", "satuday": "saturday", "firday": "friday",
    "yesteday": "yesterday", "yesterady": "yesterday", "yestarday": "yesterday", "yesturday": "yesterday",
    "tommorow": "tomorrow", "tomorow": "tomorrow", "tommorrow": "tomorrow", "weks": "weeks", "wekks": "weeks",
    "monthes": "months", "monhts": "months", "montsh": "months", "yeras": "years", "yaers": "years",
    "sinse": "since", "scince": "since", "untill": "until", "befor": "before", "betwen": "between",
}
ORDINAL_WORDS = {"last": -1, "final": -1}


def alternatives(words) -> str:
    """A regex alternation of `words`, longest first so "sept" is not read as "sep" + "t"."""
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


MON = alternatives(MONTHS)
WD = alternatives(WEEKDAYS)
HOLIDAY = alternatives(HOLIDAYS)
SEASON = alternatives(SEASONS)
# A unit is any word here, checked against UNIT_WORDS by the rule that reads it: the duration pattern appears in many
# rules, and a generic word keeps them small, so the first phrase is read without a long regex compile.
UNIT = r"[a-z]+"
ORD = r"(?:\d{1,2}(?:st|nd|rd|th)|last|final)"
THIS = r"(?:this|current|present|the current)"
LAST = r"(?:last|previous|past|prior|preceding|this past|the last|the previous|the past)"
NEXT = r"(?:next|following|coming|upcoming|this coming|this upcoming|the next|the following|the coming)"
RELATIVE = rf"(?:{THIS}|{LAST}|{NEXT})"
COUNT = r"(?:\d+|a few|a couple of|a couple|couple of|couple|several|few|an?)"
DURATION = rf"{COUNT} {UNIT}(?: (?:and )?{COUNT} {UNIT})*"
DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
ORDINAL_DAY = r"(\d{1,2})(?:st|nd|rd|th)"
YEAR4 = r"(\d{4})"
SEP = r"[ /-]"

COUNT_WORDS = {"a": 1, "an": 1, "few": 3, "a few": 3, "several": 3, "couple": 2, "a couple": 2, "couple of": 2,
               "a couple of": 2}


def relative_step(word: str) -> int:
    """-1 for last/previous/past, +1 for next/following/coming, 0 for this/current."""
    word = word.removeprefix("the ")
    if word in ("this", "current", "present"):
        return 0
    if word in ("last", "previous", "past", "prior", "preceding", "this past"):
        return -1
    return 1


def ordinal_value(word: str) -> int:
    """1 for "1st", 22 for "22nd", -1 for "last" / "final" (counted from the end)."""
    return ORDINAL_WORDS.get(word) or int(word[:-2])


def count_value(word: str) -> int:
    return int(word) if word.isdigit() else COUNT_WORDS[word]
