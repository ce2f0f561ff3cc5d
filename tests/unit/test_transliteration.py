"""Names across scripts: what a query in one script matches among names in the other, and what
it must not (a shared letter or two is no match). Names here are folded as `ge_fold` folds them
(final letters as regular ones, geresh removed)."""

from __future__ import annotations

import re

import pytest

from core.transliteration import across_scripts

FOLD = str.maketrans("ךםןףץ", "כמנפצ", "׳'")


def matches(query: str, name: str) -> bool:
    # As core/search compares: the folded name without its spaces (a hyphen folds to one).
    pattern = across_scripts(query.translate(FOLD))
    plain = name.translate(FOLD).replace("-", " ").replace(" ", "")
    return pattern is not None and re.match(pattern, plain) is not None


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("נוח", "noah"),
        ("אוליביה", "olivia"),
        ("ליאם", "liam"),
        ("אמה", "emma"),
        ("מיה", "mia"),
        ("איתן", "ethan"),
        ("ג׳ונסון", "johnson"),
        ("נוח ויליאמס", "noah williams"),
        ("מייק", "mike"),
        ("shira", "שירה"),
        ("yosef", "יוסף"),
        ("noa", "נועה"),
        ("noam", "נועם"),
        ("eitan", "איתן"),
        ("sarah", "שרה"),
        ("bitton", "ביטון"),
        ("levy", "לוי"),
        ("ben zion", "בן-ציון"),  # a hyphenated name, with a space, a hyphen or neither
        ("benzion", "בן-ציון"),
        ("bentzion", "בן ציון"),
        ("בן ציון", "ben-zion"),
        ("בנציון", "ben zion"),
    ],
)
def test_a_name_typed_in_the_other_script_matches(query: str, name: str) -> None:
    assert matches(query, name)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("מיה", "emma"),  # a vowel first is written from א: Emma is אמה
        ("אמה", "mia"),
        ("נוח", "nina"),
        ("ליאם", "william"),
        ("אוליביה", "oliver"),
        ("noam", "נעמה"),  # a consonant last is the last letter: Naama is another name
        ("noa", "נח"),
        ("נוח", "נוח"),  # the same script is the ordinary search's
        ("liam", "liam"),
    ],
)
def test_a_name_that_only_shares_letters_does_not(query: str, name: str) -> None:
    assert not matches(query, name)


@pytest.mark.parametrize("query", ["נח", "li", "liam5", "ליam", "o'b", ""])
def test_no_pattern_for_what_cannot_be_read_as_a_name(query: str) -> None:
    assert across_scripts(query) is None


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("ethan levi", "ethan לוי"),  # a name stored half in each script, typed in one
        ("איתן לוי", "ethan לוי"),
        ("david smith", "דוד smith"),
        ("sarah katz", "sarah כץ"),
        ("levi ethan", "לוי ethan"),
    ],
)
def test_a_name_half_in_each_script_matches_typed_in_one(query: str, name: str) -> None:
    assert matches(query, name)
