"""The gettext catalogues: same keys in both languages, plural forms, a working port tool."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.pofile import read_po

from bot.commands import BY_VERB, COMMANDS, OFFERED, offered
from bot.i18n import LOCALE_DIR, keys, plural_keys, sentence, t, tn
from bot.i18n_port import port


def test_both_languages_have_the_same_sentences() -> None:
    assert keys("he") == keys("en")


def test_every_command_word_placeholder_names_a_verb_of_the_vocabulary() -> None:
    for key in keys("en"):
        for language in ("he", "en"):
            count = 5 if key in plural_keys(language) else None
            for part in sentence(language, key, count).split("{w_")[1:]:
                assert part.split("}")[0] in BY_VERB, (language, key)


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
    with pytest.raises(TypeError):
        t("en", "export_done", rows=3, filename="x.csv")
    assert "3 analyses" in tn("en", "export_done", 3, rows=3, filename="x.csv")
    assert tn("he", "n_analyses", 1) == "ניתוח אחד" and tn("en", "n_analyses", 1) == "1 analysis"


def test_hebrew_has_one_two_and_many_and_english_one_and_many() -> None:
    he = [tn("he", "expired", n, name="x", hours=n) for n in (1, 2, 5)]
    assert "שעה" in he[0] and "שעתיים" in he[1] and "5 שעות" in he[2]
    en = [tn("en", "expired", n, name="x", hours=n) for n in (1, 5)]
    assert "1 hour " in en[0] and "5 hours" in en[1]


def test_period_names_are_translated() -> None:
    assert t("he", "period_this-year") == "השנה" and t("en", "period_this-year") == "this year"


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
