"""Hebrew alphabetical order for people lists, the same on every PostgreSQL build."""

from __future__ import annotations

from typing import Any

from sqlalchemy import UnaryExpression
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Student, User


def hebrew_order(
    model: type[Student] | type[User],
) -> tuple[InstrumentedAttribute[Any] | UnaryExpression[Any], ...]:
    """ORDER BY for students or users: last name, then first name, Hebrew before Latin.

    The stored `sort_key` (migration 0001, `ge_sort_key`) folds niqqud, final letters, case
    and punctuation; the id breaks ties so pagination is stable.
    """
    return (model.sort_key, model.id)
