"""A rejected roster's problems, said in the reader's language (bot/explain.py)."""

from __future__ import annotations

import pytest

from bot.explain import explain
from core.models import UserRole
from core.roster_csv import RosterRejected, parse_roster

ENGLISH = ("line ", "column ", "empty", "not a date", "duplicate", "missing column",
           "unknown column", "values, but", "not an email", "a value is required")  # fmt: skip
FILES = [
    b"student_id,first_name,last_name,grade_level,date_of_birth,gender\n"
    b"T1,Ada,Lovelace,5,,\nT2,Ada,,5,31/02/2015,F\nT3,Al,Tu,5\nT1,Ada,Lovelace,5,,\n"
    b"T4,Bo,Li,5,01/01/1800,\n",
    b"student_id,first_name,grade_level,date_of_birth,gender,shoe\n",
    b"name,subject,grade_level,section,academic_year,teacher_email\n5A,,5,,2026,not-an-email\n"
    b"5B,,5,,2026,a@b.co\n5B,,5,,2026,a@b.co\n",
    b"student_id,class_name,academic_year\nT1,5A,2026\nT1,5A,2026\n",
    b"",
]


def _rejected(data: bytes) -> RosterRejected:
    with pytest.raises(RosterRejected) as caught:
        parse_roster(data)
    return caught.value


@pytest.mark.parametrize("data", FILES)
def test_a_hebrew_admin_reads_no_english_reason(data: bytes) -> None:
    text = explain("he", _rejected(data), role=UserRole.ADMIN, verb="admin")
    assert text.startswith("הקובץ נדחה")
    assert not [w for w in ENGLISH if w in text], text


def test_each_problem_keeps_its_line_column_and_values() -> None:
    text = explain("he", _rejected(FILES[0]), role=UserRole.ADMIN, verb="admin")
    assert "שורה 3, עמודה last_name: ריק; נדרש ערך" in text
    assert "„31/02/2015” אינו תאריך" in text and "„01/01/1800” אינו תאריך לידה סביר" in text
    assert "שורה 5, עמודה student_id: ה-student_id „T1” מופיע שוב (לראשונה בשורה 2)" in text
    english = explain("en", _rejected(FILES[0]), role=UserRole.ADMIN, verb="admin")
    assert "line 3, column last_name: empty; a value is required" in english
    assert "line 5, column student_id: duplicate student_id 'T1', first on line 2" in english
