"""Names and descriptions are matched as people type them (datastores.matching: the one matching function)."""

import re
import unicodedata
from pathlib import Path

import pytest

from imageset_search.datastores.matching import name_matches, name_terms, query_words, term_prefixes, text_contains

NAMES_FOUND = [
    ("Jerome", "Jérôme^Dupont"),  # accents folded on the name's side
    ("Jérôme", "Jerome^Dupont"),  # and on the query's
    (unicodedata.normalize("NFD", "Jérôme"), "Jérôme^Dupont"),  # decomposed, as macOS sends it, meets composed
    ("jérôme", unicodedata.normalize("NFD", "JÉRÔME^DUPONT")),
    ("ヤマダ", "Yamada^Tarou=山田^太郎=ﾔﾏﾀﾞ^ﾀﾛｳ"),  # full-width query, half-width phonetic group
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "Yamada^Tarou=山田^太郎=ヤマダ^タロウ"),
    ("ＹＡＭＡＤＡ", "Yamada^Tarou"),  # full-width Latin
    ("山田太郎", "Yamada^Tarou=山田^太郎"),  # ideographic, written without a separator
    ("홍길동", "Hong^Gildong=洪^吉洞=홍^길동"),
    ("길동", "홍길동"),  # the given name inside a name stored without separators
    ("王小东", "Wang^Xiaodong=王^小东"),
    ("小东", "王小东"),
    ("melissa huel", "Huel628^Melissa844"),  # the digits of synthetic names, any order
    ("HUEL628^Melissa844", "Huel628^Melissa844"),
    ("Huel Mel", "Huel628^Melissa844"),
    ("müller", "MUELLER^HANS=Müller^Hans"),
    ("Sorensen", "Sørensen^Anne"),  # letters without a decomposition spelled plainly
    ("strasse", "STRAßE^A"),
    ("o'brien", "O'Brien^Pat"),
]
NAMES_NOT_FOUND = [
    ("Jeremy", "Jérôme^Dupont"),
    ("Yamada 太郎", "Yamada^Tarou=山田^太郎"),  # all the words must be in one = group
    ("ヤマタ", "ﾔﾏﾀﾞ^ﾀﾛｳ"),  # the voicing mark counts: ダ is not タ
    ("Melissa Smith", "Huel628^Melissa844"),
    ("elissa", "Huel628^Melissa844"),  # a Latin word starts a word
    ("홍길순", "홍^길동"),
]


@pytest.mark.parametrize("query, name", NAMES_FOUND)
def test_names_are_found_as_people_type_them(query, name):
    assert name_matches(query, name)
    terms = name_terms(name)
    assert all(any(t.startswith(p) for t in terms for p in term_prefixes(word)) for word in query_words(query))


@pytest.mark.parametrize("query, name", NAMES_NOT_FOUND)
def test_other_names_are_not(query, name):
    assert not name_matches(query, name)
    words, terms = query_words(query), name_terms(name)
    if len(words) == 1:  # one word: the terms alone decide, exactly
        assert not any(t.startswith(p) for t in terms for p in term_prefixes(words[0]))


def test_an_empty_query_matches_and_a_missing_name_does_not():
    assert name_matches(" ^ ", "Doe^Jane")
    assert not name_matches("doe", None)


@pytest.mark.parametrize(
    "query, text, found",
    [
        ("CEREBRALE", "IRM cérébrale", True),
        ("cérébrale", "IRM CEREBRALE", True),
        ("chest  pa", "CHEST_PA", True),
        ("ＣＴ ｃｈｅｓｔ", "ct chest w/o", True),
        ("brain", "CT CHEST", False),
    ],
)
def test_descriptions_contain_the_text_in_any_case_and_accents(query, text, found):
    assert text_contains(query, text) is found


def test_the_readme_examples_hold():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("### Name matching", 1)[1].split("##", 1)[0]
    rows = [re.findall(r"`([^`]+)`", row) for row in table.splitlines() if row.startswith("| `")]
    assert len(rows) >= 8
    for query, found in rows:
        check = text_contains if "(description)" in table.split(query, 1)[1].split("|")[0] else name_matches
        assert check(query, found), (query, found)
