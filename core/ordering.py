"""The one name order of people lists: lists, searches, exports, summaries and charts use it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Class, School, Student, User

OrderTerm = InstrumentedAttribute[Any] | UnaryExpression[Any] | ColumnElement[Any]


def hebrew_order(model: type[Student] | type[User]) -> tuple[OrderTerm, ...]:
    """ORDER BY for students or users: a total Hebrew alphabetical order, the same on any build.

    The stored `sort_key` (`ge_sort_key`, migration 0008) compares in "C" byte order and holds
    ICU's Hebrew collation levels (letters; niqqud and accents, unmarked first; case and final
    forms) and then the exact last and first names. Names equal to the letter are then told
    apart by the school's student id (users: email), and by `created_at`; the random id comes
    last, only so that two rows identical in all of these still page stably.
    """
    if model is Student:
        return (Student.sort_key, Student.student_id.collate("C"), Student.created_at, Student.id)
    return (User.sort_key, User.email.collate("C"), User.created_at, User.id)


def name_order(model: type[Class] | type[School]) -> InstrumentedAttribute[str]:
    """ORDER BY term for a one-part name (a school, a class) in the same order as people.

    The key is stored (0026) rather than worked out per query: `ge_sort_key` is SQL that
    cannot be inlined, about 70 microseconds a name.
    """
    return model.sort_key
