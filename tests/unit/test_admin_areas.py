"""Every admin area the Hebrew help names is read as the English area it translates."""

from __future__ import annotations

from bot.admin_grammar import area_in_english
from bot.i18n import t


def test_each_area_the_hebrew_help_names_is_the_english_one() -> None:
    hebrew = [area.strip() for area in t("he", "what_admin").split(",")]
    english = [area.strip() for area in t("en", "what_admin").split(",")]
    assert [area_in_english(area.split()) for area in hebrew] == [[area] for area in english]
