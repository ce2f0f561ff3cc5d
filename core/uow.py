"""Unit of work: one transaction per use case, committed explicitly, rolled back otherwise.

Acting as someone (`act_as`): every transaction the unit begins first runs `ge_act_as`, one
statement that re-checks the actor against the database (user active and not deleted, school
not deleted, role and school unchanged) and sets row-level security's acting user for that
transaction only (`set_config(..., true)`). So a write after a model call, in a transaction of
its own, is refused when the user was deactivated meanwhile (AccessDenied), and a query that
forgets the policy filter still sees only what the database policy allows. Without an actor, a
transaction sees no student data at all (audit rows can still be written).

It also guards the audit rule: a commit that carries changes to student, class, enrollment,
analysis, conversation or user rows but no audit row is refused (AuditMissing). The exchange's
hot path writes through `run_audited` instead (one statement on the driver connection, see
core/driver_sql.py): the statement inserts the unit's queued audit rows itself, and one that
wrote student data without auditing it is refused and rolled back there.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, bindparam, event, insert, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import func

from core.actor import Actor
from core.db import DRIVER_POOL
from core.driver_pool import DriverConnections, EngineConnections
from core.driver_sql import PROTECTED_TABLES, DriverStatement
from core.driver_unit import DriverTransaction, audit_json
from core.errors import AccessDenied, AuditMissing
from core.models.audit import AuditLog

# One round trip: check the actor is live and unchanged, and set it for this transaction.
_ACT_AS = select(
    func.ge_act_as(
        bindparam("user_id", type_=UUID(as_uuid=True)),
        bindparam("role"),
        bindparam("school_id", type_=UUID(as_uuid=True)),
    )
)
# The same, also choosing per-school plans for the transaction (summary_queries.PER_SCHOOL_PLANS
# says why): one round trip for both, where a separate statement cost every summary, flagged
# list and export a round trip of its own.
_ACT_AS_PER_SCHOOL = select(
    func.ge_act_as(
        bindparam("user_id", type_=UUID(as_uuid=True)),
        bindparam("role"),
        bindparam("school_id", type_=UUID(as_uuid=True)),
    ),
    func.set_config("plan_cache_mode", "force_custom_plan", True),
    func.set_config("max_parallel_workers_per_gather", "0", True),
)
_ACTOR = "actor"
_PER_SCHOOL = "per_school_plans"
_ON_DRIVER = "on_driver"


def _act_as_params(actor: Actor) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "role": "SYSTEM" if actor.is_system else str(actor.role),
        "school_id": actor.school_id,
    }


async def check_live(session: AsyncSession, actor: Actor) -> None:
    """Run `ge_act_as` for `actor` in `session`'s transaction: AccessDenied unless live."""
    reason = await session.scalar(_ACT_AS, _act_as_params(actor))
    if reason is not None:
        raise AccessDenied(str(reason))


def _check_actor(connection: Connection, actor: Actor, *, per_school: bool = False) -> None:
    act_as = _ACT_AS_PER_SCHOOL if per_school else _ACT_AS
    reason = connection.execute(act_as, _act_as_params(actor)).scalar()
    if reason is not None:
        raise AccessDenied(str(reason))


def _on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if session.info.get(_ON_DRIVER):
        # Two transactions for one unit would break its atomicity (and its audit rule).
        raise RuntimeError("the session was used in a unit whose transaction is on the driver")
    actor = session.info.get(_ACTOR)
    if actor is not None and not session.info.get("single_statement"):
        _check_actor(connection, actor, per_school=bool(session.info.get(_PER_SCHOOL)))


def _touches_protected(objects: Any) -> bool:
    return any(getattr(o, "__tablename__", None) in PROTECTED_TABLES for o in objects)


def _protected_change(session: Session) -> None:
    if session.info.get("single_statement"):
        # The statement would commit on its own, before any audit row could join it.
        raise AuditMissing("student data written in a single-statement unit of work")
    session.info["protected_changes"] = True


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


class UnitOfWork:
    """Owns one session; repositories and services use it and never commit themselves."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        # Made on first use: a unit whose work all runs on the driver never needs one.
        self._session: AsyncSession | None = None
        self._entered = False
        self._actor: Actor | None = None
        self._audit_rows: list[dict[str, Any]] = []
        # Audit rows a driver statement inserted in the open transaction (counted at commit).
        self._audited_in_statements = 0
        # Set by `use_driver`: the unit's transactions run on a pooled driver connection.
        self._driver: DriverTransaction | None = None
        self.audit_rows_committed = 0

    @property
    def audit_rows_pending(self) -> int:
        """Audit rows added since the last commit or rollback."""
        return len(self._audit_rows)

    def take_audit_rows(self) -> list[dict[str, Any]]:
        """The audit rows queued since the last commit, handed over for another writer to insert."""
        rows, self._audit_rows = self._audit_rows, []
        return rows

    def add_audit_row(self, row: dict[str, Any]) -> None:
        """Queue an audit_logs row; it is inserted with the commit, in the same transaction."""
        self._audit_rows.append(row)

    @property
    def session(self) -> AsyncSession:
        """The open session; only valid inside `async with`."""
        if not self._entered:
            raise RuntimeError("UnitOfWork used outside `async with`")
        if self._session is None:
            self._session = self._session_factory(sync_session_class=GuardedSession)
            if self._actor is not None:
                self._session.info[_ACTOR] = self._actor
            if self._driver is not None:
                self._session.info[_ON_DRIVER] = True
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._entered = False
        try:
            # Anything not committed explicitly is discarded: no half-written use case.
            if self._driver is not None:
                await self._driver.end("ROLLBACK")
            if session is not None:
                await session.rollback()
        finally:
            if session is not None:
                await session.close()

    @property
    def actor(self) -> Actor | None:
        """Whom this unit acts as (`act_as`), or None."""
        return self._actor

    async def act_as(self, actor: Actor | None, *, per_school_plans: bool = False) -> None:
        """Act as `actor` from now on: checked live and set for RLS in every transaction.

        `per_school_plans`: every transaction also plans as summary_queries.PER_SCHOOL_PLANS
        sets (custom plans, serial), in the same round trip as the check.

        Raises AccessDenied (the reason: user_inactive, user_deleted, school_deleted,
        role_changed, unknown_user) when the actor is not live as claimed. None stops acting:
        later transactions see no student data, but may still write audit rows.
        """
        self._actor = actor
        if actor is None:
            if self._session is not None:
                self._session.info.pop(_ACTOR, None)
            return
        if self._driver is not None:
            return  # checked as the driver transaction begins, with its first statement
        session = self.session
        session.info[_ACTOR] = actor
        session.info[_PER_SCHOOL] = per_school_plans
        if session.in_transaction():
            connection = await session.connection()
            act_as = _ACT_AS_PER_SCHOOL if per_school_plans else _ACT_AS
            reason = await connection.scalar(act_as, _act_as_params(actor))
            if reason is not None:
                raise AccessDenied(str(reason))
        else:
            await session.connection()  # begins the transaction: _on_begin checks the actor

    async def single_statement(self) -> None:
        """Run this unit's one statement in its own implicit transaction, no BEGIN or COMMIT.

        For a unit that is one statement writing nothing that needs an audit row (the dialogue's
        redelivery guard): it saves the two round trips a transaction adds. Call it first; a
        write to student data in such a unit is refused before it runs (AuditMissing).
        """
        await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self.session.info["single_statement"] = True

    def use_driver(self) -> None:
        """Run this unit's transactions on a pooled driver connection, the session unused.

        For the hot path's services (`@service(on_driver=True)`): their statements are
        `run_audited` ones, so the ORM session, its greenlet hops and its listeners are only
        overhead. Call it before `act_as`; using the session afterwards raises.
        """
        self._driver = DriverTransaction(self._connections())
        if self._session is not None:
            self._session.info[_ON_DRIVER] = True

    def _connections(self) -> DriverConnections:
        """The process's driver pool when the composition root gave the factory one."""
        pool: DriverConnections | None = (self._session_factory.kw.get("info") or {}).get(
            DRIVER_POOL
        )
        if pool is not None:
            return pool
        bind = self._session_factory.kw.get("bind")
        assert bind is not None, "the session factory has no engine bound"
        return EngineConnections(bind)

    async def run_audited(self, statement: DriverStatement, params: dict[str, Any]) -> Any:
        """Run `statement` on the driver connection in this unit's transaction; its row.

        The queued audit rows go in as its `audit` parameter (the statement inserts them with
        what it writes). Refused before it runs when it writes student data and none are
        queued, and rolled back when it reports rows written but none audited (AuditMissing).
        """
        actor = self.actor
        if actor is None:
            # Without an actor no transaction has begun (the act-as check begins it), and RLS
            # would show the statement nothing.
            raise RuntimeError("run_audited needs a unit acting as someone (act_as)")
        rows, self._audit_rows = self._audit_rows, []
        if statement.writes_student_data and not rows:
            await self.rollback()
            raise AuditMissing("a statement writing student data with no audit row queued")
        driver = await self._transaction_driver(actor, statement)
        values = {**params, "audit": audit_json(rows)}
        row = await driver.fetchrow(statement.sql, *statement.args(values))
        if self._driver is not None and self._driver.unconfirmed:
            # The act-as went with BEGIN: this statement read its answer (AccessDenied when
            # refused; run again in the rare case the actor became live in between).
            if await self._driver.confirm(actor, row is not None and bool(row["acting"])):
                row = await driver.fetchrow(statement.sql, *statement.args(values))
        if statement.writes_student_data:
            if row is None or (row["written"] and not row["audited"]):
                await self.rollback()
                raise AuditMissing("student data written without an audit row")
            self._audited_in_statements += int(row["audited"] or 0)
        return row

    async def _transaction_driver(self, actor: Actor, statement: DriverStatement) -> Any:
        """The asyncpg connection of this unit's open transaction (begun if on the driver)."""
        if self._driver is not None:
            if not self._driver.active:
                await self._driver.begin(actor, checked_by_statement=statement.reports_acting)
            driver = self._driver.connection
        else:
            connection = await self.session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
        if driver is None or not driver.is_in_transaction():
            raise RuntimeError("a driver statement outside a transaction")
        return driver

    async def read_row(self, statement: DriverStatement, params: Mapping[str, Any]) -> Any:
        """Run a statement that writes nothing in this unit's transaction; its one row.

        For reads compiled once and run with each call's values (core/scoped_statements):
        no ORM or Core execution on top. It acts as the unit's actor (`act_as` first).
        """
        actor = self.actor
        if actor is None:
            raise RuntimeError("read_row needs a unit acting as someone (act_as)")
        if statement.writes_student_data or statement.reports_acting:
            raise RuntimeError("read_row runs reads only (run_audited writes)")
        driver = await self._transaction_driver(actor, statement)
        return await driver.fetchrow(statement.sql, *statement.args(params))

    async def run_single(self, statement: DriverStatement, params: dict[str, Any]) -> Any:
        """One statement on a pooled driver connection, in its own implicit transaction; its row.

        As `single_statement`, for a statement writing nothing that needs an audit row (the
        exchange's opening read): refused before it runs when it would write student data.
        """
        if statement.writes_student_data:
            raise AuditMissing("student data written in a single-statement unit of work")
        single = DriverTransaction(self._connections())
        return await single.fetch_one(statement.sql, *statement.args(params))

    async def commit(self) -> None:
        """Commit everything done in this unit of work; refuse unaudited protected changes."""
        if self._driver is not None and self._driver.active:
            await self._commit_driver()
            return
        if self._session is None and not self._audit_rows:
            return  # nothing was done: no transaction to commit
        session = self.session
        await session.flush()
        if self._audit_rows and session.info.get("single_statement"):
            # The unit's statement has committed already: an audit row now would not be atomic.
            raise AuditMissing("an audit row in a single-statement unit of work")
        if session.info.get("protected_changes") and not self._audit_rows:
            await self.rollback()
            raise AuditMissing("changes to student data without an audit row")
        if self._audit_rows:
            # One Core INSERT for the lot: audit rows never need ORM identity or flush work.
            await session.execute(insert(AuditLog.__table__), self._audit_rows)
        await session.commit()
        session.info.pop("protected_changes", None)
        self.audit_rows_committed += len(self._audit_rows) + self._audited_in_statements
        self._audit_rows = []
        self._audited_in_statements = 0

    async def _commit_driver(self) -> None:
        assert self._driver is not None
        if self._audit_rows:
            await self._driver.insert_audit_rows(self._audit_rows)
        await self._driver.end("COMMIT")
        self.audit_rows_committed += len(self._audit_rows) + self._audited_in_statements
        self._audit_rows = []
        self._audited_in_statements = 0

    async def rollback(self) -> None:
        """Discard everything done since the last commit."""
        if self._driver is not None:
            await self._driver.end("ROLLBACK")
            # What follows (the refusal's own audit row) runs through the session again.
            self._driver = None
            if self._session is not None:
                self._session.info.pop(_ON_DRIVER, None)
        if self._session is not None:
            await self._session.rollback()
            self._session.info.pop("protected_changes", None)
        self._audit_rows = []
        self._audited_in_statements = 0
