"""A misspelt command is offered spelt right; names and other people's commands are not."""

from __future__ import annotations

import pytest

from bot.nearest_command import nearest
from core.models import UserRole

TEACHER, PRINCIPAL, ADMIN = UserRole.TEACHER, UserRole.PRINCIPAL, UserRole.ADMIN


@pytest.mark.parametrize(
    ("typed", "role", "meant"),
    [
        ("histroy", TEACHER, "history"),
        ("anlyze Olivia  Brown", TEACHER, "analyze Olivia Brown"),
        ("/studnets", TEACHER, "students"),
        ("hlep", TEACHER, "help"),
        ("cancle", TEACHER, "cancel"),
        ("sumary school", PRINCIPAL, "summary school"),
        ("flaged", PRINCIPAL, "flagged"),
        ("exprot analyses", PRINCIPAL, "export analyses"),
        ("admn users", ADMIN, "admin users"),
        ("סכום בית ספר", PRINCIPAL, "סיכום בית ספר"),
        ("היסטוריא נוח", TEACHER, "היסטוריה נוח"),
        ("תלמידם", TEACHER, "תלמידים"),
        ("נתך ליאם", TEACHER, "נתח ליאם"),  # a three-letter word, one letter mistyped
        ("שמרו", TEACHER, "שמירה"),  # the word offered for the command, not a form of it (שמרי)
        ("תנתחו ליאם", TEACHER, "נתח ליאם"),
    ],
)
def test_a_near_miss_is_the_command_spelt_right(typed: str, role: UserRole, meant: str) -> None:
    assert nearest(typed, role) == meant


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("sumary school", TEACHER),  # a summary is no command of a teacher's
        ("anlyze Liam", PRINCIPAL),
        ("admn users", PRINCIPAL),
        ("Noah", TEACHER),  # names typed alone
        ("Olivia", TEACHER),
        ("Emma", TEACHER),
        ("good morning", TEACHER),
        ("thanks", TEACHER),
        ("history", TEACHER),  # a word already right is not a near miss
        ("ok", TEACHER),  # too short to guess from
        ("נח", TEACHER),
        ("יום", TEACHER),  # three letters, two of them off every command word
    ],
)
def test_what_is_no_near_miss_of_the_persons_commands(typed: str, role: UserRole) -> None:
    assert nearest(typed, role) is None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("בלה בלה", None),  # בטל takes nothing after it: gibberish, not a cancel
        ("בלה", None),  # a short word alone: nothing else says it was a command
        ("שפע en", "שפה en"),
        ("שפע עברית", "שפה עברית"),  # a language by its name fits `lang`
        ("שפע ברכה", None),
        ("נתך", None),
        ("עזר", None),
    ],
)
def test_a_short_word_is_a_near_miss_only_when_the_rest_fits(typed: str, meant: str | None) -> None:
    assert nearest(typed, TEACHER) == meant
