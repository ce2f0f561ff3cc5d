"""Every reason or clash core gives a rule word for is said in both languages (bot/explain)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.explain import explain, reason_words
from bot.i18n import keys
from core.errors import Conflict, InvalidInput
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
    said = keys(language)
    # An InvalidInput's reason is `reason_RULE`; a Conflict's whole sentence `conflict_RULE`; a
    # rejected roster's problem `roster_RULE`.
    forms = ("reason_", "conflict_", "roster_")
    missing = sorted(r for r in _rules() if not {f + r for f in forms} & said)
    assert not missing, missing


def test_a_hebrew_reader_gets_no_english_clash() -> None:
    error = Conflict(
        "a user with email dana@demo.school already exists", rule="email_taken",
        values={"email": "dana@demo.school"},
    )  # fmt: skip
    text = explain("he", error, role=UserRole.ADMIN, verb="admin")
    assert "already exists" not in text and "dana@demo.school" in text


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
