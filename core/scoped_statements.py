"""Reads over a resolved scope, built and compiled once per shape and run with each call's values.

Building a summary's statement with SQLAlchemy (the policy, the scope, every section) and
finding its compiled form again by cache key cost more client CPU than the database spent
answering a class's or a student's summary (Year 3: about 5 of a class summary's 8 ms of
process CPU). Every value that changes from call to call is a named parameter instead: the
actor's ids (`policy.placeholder_actor`), the scope's (`ResolvedScope.values`), the period's
and the analyses' school. What is left to tell two calls apart is their shape (`shape`): the
actor's role, the scope's kind and which of its parts are present. The first call of a shape
builds the statement, compiles it for asyncpg and keeps it; later calls pass only values.

A value a builder left unnamed would be frozen into the shape's SQL and shown to the next
caller: a shape is refused when its compiled form holds an unnamed value of a per-call type
(an id, a moment, a list), and a named value a later call does not supply is an error, never
the first call's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any

from core.actor import Actor
from core.db import AnySelect
from core.driver_sql import DriverStatement, compose
from core.models import UserRole
from core.periods import Period
from core.planning import PLAN_MODE, plan_mode
from core.policy import actor_values, placeholder_actor
from core.scopes import ResolvedScope
from core.uow import UnitOfWork

# Bounded by construction: roles x scope kinds x the flags in `shape` x the callers' kinds.
_COMPILED: dict[Hashable, DriverStatement] = {}
_PER_CALL = (uuid.UUID, datetime, date, list, tuple)

Build = Callable[[Actor], AnySelect]


def shape(kind: str, actor: Actor, resolved: ResolvedScope, period: Period | None) -> Hashable:
    """What decides a statement's SQL text besides its values (`kind`: the caller's)."""
    return (
        kind,
        str(actor.role),
        actor.school_id is None,
        resolved.scope.kind,
        resolved.school_id is None,
        resolved.student_id is None,
        period is None,
    )


def values(actor: Actor, resolved: ResolvedScope, period: Period | None) -> dict[str, Any]:
    """Every named parameter's value for this call."""
    found: dict[str, Any] = {**actor_values(actor), **resolved.values}
    if actor.role is UserRole.ADMIN and resolved.school_id is not None:
        found["scope_analyses_school_id"] = resolved.school_id
    if period is not None:
        found["period_start"], found["period_end"] = period.start, period.end
    return found


def compiled(key: Hashable, actor: Actor, build: Build, named: dict[str, Any]) -> DriverStatement:
    """The shape's statement: `build(placeholder actor)` compiled on first use, then kept."""
    statement = _COMPILED.get(key)
    if statement is None:
        statement = _compile(build(placeholder_actor(actor)), named)
        _COMPILED[key] = statement
    return statement


def _compile(select: AnySelect, named: dict[str, Any]) -> DriverStatement:
    first = compose("{statement}", statement=select)
    if "POSTCOMPILE" in first.sql:
        # SQLAlchemy fills an IN list in at execution; asyncpg would be sent its placeholder.
        raise ValueError("an IN list in a statement compiled once: write = ANY (array) instead")
    frozen = {k: v for k, v in first.defaults.items() if k not in named}
    unnamed = sorted(k for k, v in frozen.items() if isinstance(v, _PER_CALL))
    if unnamed:
        raise ValueError(f"values left unnamed in a statement compiled once: {unnamed}")
    return DriverStatement(first.sql, first.names, frozen)


async def read_scoped(
    uow: UnitOfWork,
    kind: str,
    actor: Actor,
    resolved: ResolvedScope,
    period: Period | None,
    build: Build,
    extra: dict[str, Any] | None = None,
) -> Any:
    """The one row of `build`'s statement for this actor, scope and period (and `extra` values)."""
    named = {**values(actor, resolved, period), **(extra or {})}
    statement = compiled(shape(kind, actor, resolved, period), actor, build, named)
    # Usually set already, with the actor check (planning.for_scope): then no round trip.
    await uow.set_local(PLAN_MODE, plan_mode(resolved.scope.kind))
    return await uow.read_row(statement, named)
