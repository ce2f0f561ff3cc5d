"""core's refusals of a scope or a student query carry a rule word, so a Hebrew reader reads
them in Hebrew: "give a name, a student number or an id" sat inside a Hebrew sentence."""

from __future__ import annotations

from typing import Any, cast

import pytest

from bot.explain import explain
from core.actor import system_actor
from core.errors import InvalidInput
from core.models import UserRole
from core.scope_words import Scope
from core.scopes import resolve_scope
from core.services.records import _student

NO_DATABASE = cast(Any, None)  # each refusal comes before the database is asked


async def _refusal(call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        await call
    return raised.value


async def test_an_empty_student_query_is_said_in_hebrew() -> None:
    error = await _refusal(_student(NO_DATABASE, system_actor(), "  "))
    text = explain("he", error, role=UserRole.ADMIN, verb="admin")
    assert "כתבו שם" in text and "give a name" not in text


async def test_the_school_without_a_code_is_said_in_hebrew() -> None:
    error = await _refusal(resolve_scope(NO_DATABASE, system_actor(), Scope("school", None)))
    text = explain("he", error, role=UserRole.ADMIN, verb="admin")
    assert "אחרי „בית-ספר”" in text and "write the school code" not in text


async def test_an_unknown_scope_kind_is_said_in_hebrew() -> None:
    error = await _refusal(resolve_scope(NO_DATABASE, system_actor(), Scope("planet", "x")))
    text = explain("he", error, role=UserRole.ADMIN, verb="admin")
    assert "„planet” אינו אחד מאלה" in text and "is not one of" not in text
