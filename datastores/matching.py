"""Names and descriptions matched as people type them: the one matching function of the project.

The server's check on each summary (`tools.refine`) and the local datastore's own search (`datastores.local`) both
call these functions, so a name is found the same way wherever the search runs. The rules (also in the README):

- Both sides are folded alike: Unicode NFKC (full- and half-width forms meet: `ﾔﾏﾀﾞ` is `ヤマダ`, `Ｊｏｈｎ` is
  `John`), case-folded, accents removed (a composed `é` and a decomposed one, as macOS sends it, both become `e`;
  the kana voicing marks stay, so `ダ` is not `タ`), the letters without a decomposition spelled plainly (`ø` o,
  `ł` l, `æ` ae), control characters read as spaces.
- A DICOM person name is split into its `=` groups (alphabetic, ideographic, phonetic), and each group into words at
  spaces, `^` and `,`. A query matches when ONE group holds all of its words, in any order. A query word matches
  when it starts a word of the group, or the group's words written together from some word on (`홍길동` finds
  `홍^길동`, `王小东` finds `王^小东`); a word in a script written without spaces (Han, kana, Hangul, Thai) also
  matches anywhere inside them (`小东` finds `王小东`). So `Jerome` finds `Jérôme`, `mel huel` finds
  `Huel628^Melissa844` (the digits of synthetic names are simply part of the word).
- A text (study description, body part) is folded the same way with runs of spaces and `_` read as one space;
  a description contains the query when the folded query is inside it (`CEREBRALE` finds `IRM cérébrale`).
"""

import re
import unicodedata
from functools import lru_cache
from typing import Any

_NO_DECOMPOSITION = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_KANA_VOICING = {"\u3099", "\u309a"}
SUFFIX_MARK = (
    "\x1f"  # starts the index terms that match only words in scripts written without spaces (never folded text)
)
_WORD_BREAK = re.compile(r"[\s\^,]+")
_QUERY_BREAK = re.compile(r"[\s\^,=]+")
_SPACES = re.compile(r"[\s_]+")
_UNSPACED = re.compile(
    "[\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003ffff]"
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """The form both sides are compared in (see the module's docstring)."""
    wide = unicodedata.normalize("NFKC", text).casefold()
    bare = "".join(
        " " if unicodedata.category(char) == "Cc" else char
        for char in unicodedata.normalize("NFD", wide)
        if char in _KANA_VOICING or not unicodedata.combining(char)
    )
    return unicodedata.normalize("NFC", bare.translate(_NO_DECOMPOSITION))


def query_words(query: str) -> list[str]:
    """The folded words of a name query, each to be found in one `=` group of the name."""
    return [word for word in _QUERY_BREAK.split(fold(query)) if word]


def name_groups(name: Any) -> list[list[str]]:
    """The folded words of each `=` group of a DICOM person name (empty groups left out)."""
    groups = (_WORD_BREAK.split(group) for group in fold(str(name or "")).split("="))
    return [words for words in ([word for word in group if word] for group in groups) if words]


def name_matches(query: str, name: Any) -> bool:
    """Whether the name holds every word of the query, in one `=` group (see the module's docstring)."""
    wanted = query_words(query)
    return any(_group_holds(words, wanted) for words in name_groups(name)) if wanted else True


def _group_holds(words: list[str], wanted: list[str]) -> bool:
    runs = ["".join(words[start:]) for start in range(len(words))]
    return all(
        any(run.startswith(word) for run in runs) or (_UNSPACED.search(word) is not None and word in runs[0])
        for word in wanted
    )


def name_terms(name: Any) -> set[str]:
    """Index terms of a name, such that one query word matches the name exactly when a term starts with one of its
    `term_prefixes`: each group's words and runs (its words written together from each word on), and where a group
    holds a script written without spaces, every other suffix of its words written together, marked."""
    terms: set[str] = set()
    for words in name_groups(name):
        runs = ["".join(words[start:]) for start in range(len(words))]
        terms.update(words, runs)
        if _UNSPACED.search(runs[0]):
            terms.update(SUFFIX_MARK + runs[0][start:] for start in range(len(runs[0])) if runs[0][start:] not in runs)
    return terms


def term_prefixes(word: str) -> list[str]:
    """What a term starts with when it matches this query word (see name_terms)."""
    return [word, SUFFIX_MARK + word] if _UNSPACED.search(word) else [word]


def text_key(text: Any) -> str:
    """A text folded for comparison: `fold`, with runs of spaces and `_` as one space, trimmed."""
    return _SPACES.sub(" ", fold(str(text or ""))).strip()


def same_text(query: str, text: Any) -> bool:
    """Equal once folded (a body part: `chest` is `CHEST`)."""
    return text_key(query) == text_key(text)


def text_contains(query: str, text: Any) -> bool:
    """The folded query is inside the folded text (a study description)."""
    return text_key(query) in text_key(text)
