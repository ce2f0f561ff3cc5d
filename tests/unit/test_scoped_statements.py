"""Statements compiled once per shape refuse values left unnamed and never reuse a call's values."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import bindparam, select

from core.actor import Actor, Channel
from core.models import Student, UserRole
from core.policy import visible_students
from core.scoped_statements import compiled

PRINCIPAL = Actor(uuid.uuid4(), "p@x.test", UserRole.PRINCIPAL, uuid.uuid4(), None, Channel("CLI"))


def test_a_value_left_unnamed_is_refused_when_the_shape_is_compiled() -> None:
    stray = uuid.uuid4()
    with pytest.raises(ValueError, match="unnamed"):
        compiled(
            ("test", "unnamed"), PRINCIPAL,
            lambda acting: select(Student.id).where(visible_students(acting), Student.id == stray),
            {"actor_user_id": PRINCIPAL.user_id, "actor_school_id": PRINCIPAL.school_id},
        )  # fmt: skip


def test_a_named_value_missing_from_a_later_call_is_an_error_not_the_first_calls() -> None:
    first = {"actor_user_id": PRINCIPAL.user_id, "actor_school_id": PRINCIPAL.school_id,
             "wanted": uuid.uuid4()}  # fmt: skip
    statement = compiled(
        ("test", "named"), PRINCIPAL,
        lambda acting: select(Student.id).where(
            visible_students(acting), Student.id == bindparam("wanted", first["wanted"])
        ),
        first,
    )  # fmt: skip
    assert str(first["wanted"]) not in statement.sql
    assert statement.args(first)[statement.names.index("wanted")] == first["wanted"]
    with pytest.raises(KeyError):
        statement.args({k: v for k, v in first.items() if k != "wanted"})


def test_an_in_list_is_refused_when_the_shape_is_compiled() -> None:
    with pytest.raises(ValueError, match="IN list"):
        compiled(
            ("test", "in list"), PRINCIPAL,
            lambda acting: select(Student.id).where(Student.grade_level.in_(["5", "ה"])),
            {},
        )  # fmt: skip
