"""The gettext catalogues: same keys in both languages, plural forms, a working port tool."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.pofile import read_po

from bot.commands import BY_VERB, COMMANDS
from bot.i18n import LOCALE_DIR, keys, plural_keys, sentence, t, tn
from bot.i18n_port import port
from bot.request_words import (
    EXPORT_WORDS,
    OFFERED,
    PERIOD_WORDS,
    SCOPE_WORDS,
    offered,
    request_in_english,
)
from core.periods import KEYWORDS


def test_both_languages_have_the_same_sentences() -> None:
    assert keys("he") == keys("en")


def _forms(language: str, key: str) -> list[str]:
    if key in plural_keys(language):
        return [sentence(language, key, n) for n in (1, 2, 5)]
    return [sentence(language, key)]


def test_every_word_placeholder_names_a_word_of_the_vocabulary() -> None:
    tables = {"w_": BY_VERB, "s_": SCOPE_WORDS, "p_": PERIOD_WORDS, "x_": EXPORT_WORDS}
    for key in keys("en"):
        for language in ("he", "en"):
            for form in _forms(language, key):
                for prefix, table in tables.items():
                    for part in form.split("{" + prefix)[1:]:
                        assert part.split("}")[0] in table, (language, key, prefix)


def test_a_plural_sentence_cannot_be_asked_for_without_its_count() -> None:
    with pytest.raises(KeyError, match="plural"):
        t("en", "export_done", rows=0, filename="x.csv")
    assert "0 analyses" in tn("en", "export_done", 0, rows=0, filename="x.csv")
    assert "1 analysis " in tn("en", "export_done", 1, rows=1, filename="x.csv")
    assert "0 ניתוחים" in tn("he", "export_done", 0, rows=0, filename="x.csv")
    assert "ניתוח אחד" in tn("he", "export_done", 1, rows=1, filename="x.csv")


def test_hebrew_scope_and_period_words_read_as_the_keywords_core_parses() -> None:
    assert request_in_english("שכבה 5 השנה") == "grade 5 this-year"
    assert request_in_english("בית-ספר המחצית") == "school this-term"
    assert request_in_english("החודש") == "this-month"
    assert request_in_english("תלמיד דנה לוי") == "student דנה לוי"
    assert request_in_english("class English 5-2 this-year") == "class English 5-2 this-year"


def test_summary_help_offers_the_words_of_its_own_language() -> None:
    he = t("he", "summary_usage_help")
    assert "השנה" in he and "שכבה" in he and "this-year" not in he and "grade" not in he
    en = t("en", "summary_usage_help")
    assert "this-year" in en and "grade" in en and "השנה" not in en


def test_every_offered_word_placeholder_is_filled_from_a_vocabulary_table() -> None:
    for key in keys("en"):
        for language in ("he", "en"):
            count = 5 if key in plural_keys(language) else None
            for _, name, _, _ in Formatter().parse(sentence(language, key, count)):
                if name and name[:2] in OFFERED:
                    assert offered(language, name), (language, key, name)


def test_no_hebrew_sentence_offers_an_english_command_word() -> None:
    # Words a Hebrew reader is told to type come from the vocabulary in Hebrew.
    english = {w for c in COMMANDS for w in c.en} - {"lang"}  # `lang en` is for English readers
    for key in keys("he"):
        count = 5 if key in plural_keys("he") else None
        text = sentence("he", key, count)
        typed = set(re.findall(r"(?<![\w/{-])[a-z]+(?![\w}-])", text))
        assert not typed & english, (key, typed & english)


def test_a_plural_sentence_cannot_be_read_without_its_count() -> None:
    with pytest.raises(KeyError, match="plural"):
        t("en", "n_analyses", count=3)
    assert "3 analyses" in tn("en", "export_done", 3, rows=3, filename="x.csv")
    assert tn("he", "n_analyses", 1) == "ניתוח אחד" and tn("en", "n_analyses", 1) == "1 analysis"


def test_hebrew_has_one_two_and_many_and_english_one_and_many() -> None:
    he = [tn("he", "expired", n, name="x", hours=n) for n in (1, 2, 5)]
    assert "שעה" in he[0] and "שעתיים" in he[1] and "5 שעות" in he[2]
    en = [tn("en", "expired", n, name="x", hours=n) for n in (1, 5)]
    assert "1 hour " in en[0] and "5 hours" in en[1]


def test_period_names_are_translated() -> None:
    assert t("he", "period_this-year") == "השנה" and t("en", "period_this-year") == "this year"


def test_every_period_core_parses_has_a_name_in_both_languages() -> None:
    # A summary's heading names its period: one without a name in the catalogue failed the
    # whole summary (KeyError) rather than showing it.
    for keyword in KEYWORDS:
        assert t("en", f"period_{keyword}") and t("he", f"period_{keyword}")


def test_sentences_name_the_word_of_their_own_language() -> None:
    assert "ביטול" in t("he", "in_interview") and "cancel" in t("en", "in_interview")


def test_the_port_tool_adds_and_replaces_keys(tmp_path: Path) -> None:
    for language in ("he", "en"):
        shutil.copy(LOCALE_DIR / f"{language}.po", tmp_path / f"{language}.po")
    written = port(
        {"en": {"saved": "Kept.", "late_key": ("One.", "Many.")}, "he": {"late_key": "חדש"}},
        tmp_path,
    )
    assert written == 3
    with (tmp_path / "en.po").open("rb") as source:
        catalog = read_po(source, locale="en")
    assert catalog["saved"].string == "Kept."
    assert catalog["late_key"].string == ("One.", "Many.")
    assert "POT-Creation-Date" not in (tmp_path / "en.po").read_text("utf-8")
