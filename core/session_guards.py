"""The unit of work's session guards: acting as someone, and the audit rule, on every session.

Acting as someone: every transaction a unit acting as an actor begins first runs `ge_act_as`,
one statement that re-checks the actor against the database (user active and not deleted, school
not deleted, role and school unchanged) and sets row-level security's acting user for that
transaction only (`set_config(..., true)`). So a write after a model call, in a transaction of
its own, is refused when the user was deactivated meanwhile (AccessDenied), and a query that
forgets the policy filter still sees only what the database policy allows. Without an actor, a
transaction sees no student data at all (audit rows can still be written).

The audit rule: a flush or ORM statement that changes student, class, enrollment, analysis,
conversation or user rows marks the session (PROTECTED_CHANGES), and the unit of work refuses to
commit such changes without an audit row (AuditMissing). The exchange's hot path writes through
`UnitOfWork.run_audited` instead (one statement on the driver connection, see
core/driver_sql.py): the statement inserts the unit's queued audit rows itself, and one that
wrote student data without auditing it is refused and rolled back there.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, event, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import func

from core.actor import Actor
from core.driver_sql import PROTECTED_TABLES
from core.errors import AccessDenied, AuditMissing
from core.planning import Settings

# The session.info keys the guards read and the unit of work sets.
ACTOR = "actor"
SETTINGS = "transaction_settings"
ON_DRIVER = "on_driver"
SINGLE_STATEMENT = "single_statement"
PROTECTED_CHANGES = "protected_changes"


# Bounded by construction: the settings are the services' constants (core/planning.py).
@functools.lru_cache(maxsize=16)
def _act_as(settings: Settings) -> Select[Any]:
    """One round trip: check the actor is live, set it and `settings` for this transaction."""
    return select(
        func.ge_act_as(
            bindparam("user_id", type_=UUID(as_uuid=True)),
            bindparam("role"),
            bindparam("school_id", type_=UUID(as_uuid=True)),
        ),
        *[func.set_config(name, value, True) for name, value in settings],
    )


def _act_as_params(actor: Actor) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "role": "SYSTEM" if actor.is_system else str(actor.role),
        "school_id": actor.school_id,
    }


async def check_live(session: AsyncSession, actor: Actor) -> None:
    """Run `ge_act_as` for `actor` in `session`'s transaction: AccessDenied unless live."""
    reason = await session.scalar(_act_as(()), _act_as_params(actor))
    if reason is not None:
        raise AccessDenied(str(reason))


async def check_live_on(
    connection: AsyncConnection, actor: Actor, *, settings: Settings = ()
) -> None:
    """Run `ge_act_as` for `actor` on `connection`'s open transaction: AccessDenied unless live."""
    reason = await connection.scalar(_act_as(settings), _act_as_params(actor))
    if reason is not None:
        raise AccessDenied(str(reason))


def _check_actor(connection: Connection, actor: Actor, settings: Settings) -> None:
    reason = connection.execute(_act_as(settings), _act_as_params(actor)).scalar()
    if reason is not None:
        raise AccessDenied(str(reason))


def _on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if session.info.get(ON_DRIVER):
        # Two transactions for one unit would break its atomicity (and its audit rule).
        raise RuntimeError("the session was used in a unit whose transaction is on the driver")
    actor = session.info.get(ACTOR)
    if actor is not None and not session.info.get(SINGLE_STATEMENT):
        _check_actor(connection, actor, session.info.get(SETTINGS, ()))


def _touches_protected(objects: Any) -> bool:
    return any(getattr(o, "__tablename__", None) in PROTECTED_TABLES for o in objects)


def _protected_change(session: Session) -> None:
    if session.info.get(SINGLE_STATEMENT):
        # The statement would commit on its own, before any audit row could join it.
        raise AuditMissing("student data written in a single-statement unit of work")
    session.info[PROTECTED_CHANGES] = True


def _on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if (
        _touches_protected(session.new)
        or _touches_protected(session.dirty)
        or _touches_protected(session.deleted)
    ):
        _protected_change(session)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in PROTECTED_TABLES:
            _protected_change(state.session)


class GuardedSession(Session):
    """The unit of work's session class: its guards are registered once, on the class."""


# Once for the class rather than per session: registering listeners on every new session
# cost more CPU than a statement (bench-turns' profile).
event.listen(GuardedSession, "before_flush", _on_flush)
event.listen(GuardedSession, "do_orm_execute", _on_execute)
event.listen(GuardedSession, "after_begin", _on_begin)
