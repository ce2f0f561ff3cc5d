"""Every reason core gives a rule word for is said in both languages (bot/explain.reason_words)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.explain import explain, reason_words
from bot.i18n import keys
from core.errors import InvalidInput
from core.models import UserRole

ROOT = Path(__file__).resolve().parents[2]
RULE = re.compile(r"""rule=["']([a-z_]+)["']""")


def _rules() -> set[str]:
    found: set[str] = set()
    for folder in ("core", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(RULE.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_walk_finds_the_rules() -> None:
    assert {"month_format", "email_format", "role_unknown"} <= _rules()


@pytest.mark.parametrize("language", ["he", "en"])
def test_every_rule_has_words_in_both_languages(language: str) -> None:
    missing = sorted(r for r in _rules() if f"reason_{r}" not in keys(language))
    assert not missing, missing


def test_a_hebrew_reader_gets_no_english_reason() -> None:
    error = InvalidInput(
        "month", "not a month: '2026-13'; use YYYY-MM", rule="month_format",
        values={"value": "2026-13"},
    )  # fmt: skip
    text = explain("he", error, role=UserRole.ADMIN, verb="admin")
    assert "not a month" not in text and "month —" not in text
    assert "2026-13" in text


def test_a_reason_without_words_is_cores_own() -> None:
    error = InvalidInput("thing", "too odd")
    assert reason_words("he", error) == "too odd"
