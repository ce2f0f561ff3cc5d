"""The language a message is written in: only plain signs count."""

from __future__ import annotations

import pytest

from bot.written_in import written_in


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("who are my students?", "en"),
        ("hi", "en"),
        ("He reads well.", "en"),
        ("תודה", "he"),
        ("נתח Liam", "he"),
        # A command word, a period, a name, a number or a word both languages write: no sign.
        ("analyze Liam", None),
        ("summary school this-year", None),
        ("summary school this month", None),
        ("Liam O'Brien", None),
        ("#1", None),
        ("ok", None),
        # An English command word before a Hebrew name: the name is no Hebrew sentence.
        ("history שירה", None),
        ("/analyze שירה גבאי", None),
        ("summary כיתה 5", None),
    ],
)
def test_written_in(text: str, language: str | None) -> None:
    assert written_in(text) == language
