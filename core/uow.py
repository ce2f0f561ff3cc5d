"""Unit of work: one transaction per use case, committed explicitly, rolled back otherwise.

Acting as someone (`act_as`): every transaction the unit begins re-checks the actor against the
database and sets row-level security's acting user (core/session_guards.py says how). It also
guards the audit rule: a commit that carries changes to student, class, enrollment, analysis,
conversation or user rows but no audit row is refused (AuditMissing). The exchange's hot path
writes through `run_audited` instead (one statement on the driver connection, see
core/driver_sql.py): the statement inserts the unit's queued audit rows itself, and one that
wrote student data without auditing it is refused and rolled back there.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor
from core.db import DRIVER_POOL
from core.driver_pool import DriverConnections, EngineConnections
from core.driver_sql import DriverStatement
from core.driver_unit import DriverTransaction, audit_json
from core.errors import AuditMissing
from core.models.audit import AuditLog
from core.planning import Settings
from core.session_guards import (
    ACTOR,
    ON_DRIVER,
    PROTECTED_CHANGES,
    SETTINGS,
    SINGLE_STATEMENT,
    GuardedSession,
    check_live_on,
)

_SET_LOCAL = DriverStatement("SELECT set_config($1, $2, true)", ("name", "value"))


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
        # What each of its transactions sets with the actor check (act_as).
        self._settings: Settings = ()
        self._set_here: set[str] = set()
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
                self._session.info[ACTOR] = self._actor
            if self._driver is not None:
                self._session.info[ON_DRIVER] = True
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

    async def act_as(self, actor: Actor | None, *, settings: Settings = ()) -> None:
        """Act as `actor` from now on: checked live and set for RLS in every transaction.

        `settings`: every transaction also sets these for itself (core/planning.py), in the
        same round trip as the check.

        Raises AccessDenied (the reason: user_inactive, user_deleted, school_deleted,
        role_changed, unknown_user) when the actor is not live as claimed. None stops acting:
        later transactions see no student data, but may still write audit rows.
        """
        self._actor = actor
        self._settings = settings if actor is not None else ()
        if actor is None:
            if self._session is not None:
                self._session.info.pop(ACTOR, None)
            return
        if self._driver is not None:
            return  # checked as the driver transaction begins, with its first statement
        session = self.session
        session.info[ACTOR] = actor
        session.info[SETTINGS] = settings
        if session.in_transaction():
            await check_live_on(await session.connection(), actor, settings=settings)
        else:
            await session.connection()  # begins the transaction, whose begin guard checks the actor

    async def set_local(self, name: str, value: str) -> None:
        """Set `name` for this transaction, unless every transaction of the unit sets it so."""
        # Once set to something else here, the act-as value may no longer hold: always sent.
        if (name, value) in self._settings and name not in self._set_here and not self._driver:
            return
        self._set_here.add(name)
        await self.read_row(_SET_LOCAL, {"name": name, "value": value})

    async def single_statement(self) -> None:
        """Run this unit's one statement in its own implicit transaction, no BEGIN or COMMIT.

        For a unit that is one statement writing nothing that needs an audit row (the dialogue's
        redelivery guard): it saves the two round trips a transaction adds. Call it first; a
        write to student data in such a unit is refused before it runs (AuditMissing).
        """
        await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self.session.info[SINGLE_STATEMENT] = True

    def use_driver(self) -> None:
        """Run this unit's transactions on a pooled driver connection, the session unused.

        For the hot path's services (`@service(on_driver=True)`): their statements are
        `run_audited` ones, so the ORM session, its greenlet hops and its listeners are only
        overhead. Call it before `act_as`; using the session afterwards raises.
        """
        self._driver = DriverTransaction(self._connections())
        if self._session is not None:
            self._session.info[ON_DRIVER] = True

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
        if self._audit_rows and session.info.get(SINGLE_STATEMENT):
            # The unit's statement has committed already: an audit row now would not be atomic.
            raise AuditMissing("an audit row in a single-statement unit of work")
        if session.info.get(PROTECTED_CHANGES) and not self._audit_rows:
            await self.rollback()
            raise AuditMissing("changes to student data without an audit row")
        if self._audit_rows:
            # One Core INSERT for the lot: audit rows never need ORM identity or flush work.
            await session.execute(insert(AuditLog.__table__), self._audit_rows)
        await session.commit()
        session.info.pop(PROTECTED_CHANGES, None)
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
                self._session.info.pop(ON_DRIVER, None)
        if self._session is not None:
            await self._session.rollback()
            self._session.info.pop(PROTECTED_CHANGES, None)
        self._audit_rows = []
        self._audited_in_statements = 0
