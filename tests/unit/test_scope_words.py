"""Scope words as people type them: two-word Hebrew phrases and grades by Hebrew letter."""

from __future__ import annotations

import pytest

from bot.request_words import request_in_english
from core.scope_words import grade_spellings


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("בית ספר", "school"),
        ("בית הספר השנה", "school this-year"),
        ("בית-ספר", "school"),
        ("שכבה ה החודש", "grade ה this-month"),
        ("מורה דנה לוי", "teacher דנה לוי"),
        ("תלמיד בית", "student בית"),  # "בית" alone is a name here, not the school
        # As people put it: "of the school", "this month" in two words, a grade in words.
        ("of the school", "school"),
        ("for grade 5 this term", "grade 5 this-term"),
        ("school this month", "school this-month"),
        ("fifth grade this year", "grade 5 this-year"),
        ("grade five", "grade 5"),
        ("של בית הספר", "school"),
        ("על שכבה חמישית החודש", "grade 5 this-month"),
        ("teacher The Smith", "teacher The Smith"),  # only words before the scope are filler
        ("class English 5-2 this semester", "class English 5-2 this-term"),
        ("", ""),
    ],
)
def test_a_request_is_read_with_its_longest_scope_phrase(typed: str, read: str) -> None:
    assert request_in_english(typed) == read


@pytest.mark.parametrize(
    ("grade", "spellings"),
    [
        ("5", ["5", "ה", "ה'", "ה׳"]),
        ("ה", ["ה", "5", "ה'", "ה׳"]),
        ("ה׳", ["ה׳", "5", "ה", "ה'"]),
        ("יא", ["יא", "11", "יא'", "יא׳"]),
        ("12", ["12", "יב", "יב'", "יב׳"]),
        ("13", ["13"]),
        ("Kindergarten", ["Kindergarten"]),
    ],
)
def test_a_grade_is_looked_up_by_every_spelling_a_roster_may_use(
    grade: str, spellings: list[str]
) -> None:
    assert grade_spellings(grade) == spellings
