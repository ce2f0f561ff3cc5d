"""Counts in the catalogues read right for one: "1 analysis", "נוצל ניתוח אחד"."""

from __future__ import annotations

import re

from bot.i18n import keys, plural_keys, sentence, tn

# A value followed by a plural noun ("{limit} analyses", "{n} ערכים"), also across "of {x}" /
# "מתוך {x}" ("{used} of {limit} analyses"): a count, which needs a sentence for one.
COUNTED = {
    "en": re.compile(r"\{(\w+)\}\s+(?:of\s+\{\w+\}\s+)?[a-z]+s\b"),
    "he": re.compile(
        r"\{(\w+)\}\s+(?:מתוך\s+\{\w+\}\s+)?[\u05d0-\u05ea]+(?:ים|ות)(?![\u05d0-\u05ea])"
    ),
}
# Values that are no number: names, addresses, words a reader types, and counts already written
# with their noun by `tn` ("{users}" is "1 user" or "2 users").
NOT_NUMBERS = frozenset({"name", "email", "option", "students", "users", "analyses"})
NOT_NUMBER_PREFIXES = ("w_", "x_", "s_", "p_")
# Counts that are never one, so their sentence needs no singular (why, for each).
NEVER_ONE = {
    "reason_code_format": "max is a fixed length limit, far above one",
    "reason_name_length": "max is a fixed length limit, far above one",
    "reason_students_match": "said only when several students match",
    "roster_classes_ambiguous": "said only when several classes share a name",
}


def test_every_count_sentence_has_its_singular() -> None:
    for language, counted in COUNTED.items():
        for key in sorted(keys(language) - plural_keys(language) - NEVER_ONE.keys()):
            for match in counted.finditer(sentence(language, key)):
                value = match.group(1)
                if value in NOT_NUMBERS or value.startswith(NOT_NUMBER_PREFIXES):
                    continue
                raise AssertionError(f"{language} {key}: “{match.group(0)}” has no form for one")


def test_each_plural_sentence_says_one_differently_from_many() -> None:
    for language in ("en", "he"):
        for key in plural_keys(language):
            one, many = sentence(language, key, 1), sentence(language, key, 5)
            assert one != many, (language, key)


def test_quota_lines_agree_with_one_analysis() -> None:
    values = {"school": "DEMO-01", "name": "x", "limit": 30}
    assert tn("he", "admin_quota_line", 1, used=1, **values).endswith("נוצל ניתוח אחד מתוך 30")
    assert tn("he", "admin_quota_line", 2, used=2, **values).endswith("נוצלו שני ניתוחים מתוך 30")
    assert tn("he", "admin_quota_line", 7, used=7, **values).endswith("נוצלו 7 ניתוחים מתוך 30")
    assert tn("en", "admin_quota_line", 1, used=1, **values).endswith(": 1 analysis of 30 used")
    assert tn("en", "admin_quota_line", 0, used=0, **values).endswith(": 0 analyses of 30 used")
    assert "its one analysis" in tn("en", "quota", 1, limit=1, resets_on="2027-01-01")
    assert "מכסת החודש: ניתוח אחד." in tn("he", "quota", 1, limit=1, resets_on="2027-01-01")
