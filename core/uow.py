"""Unit of work: one transaction per use case, committed explicitly, rolled back otherwise.

It also guards the audit rule: a commit that carries changes to student, class, enrollment,
analysis, conversation or user rows but no audit row is refused (AuditMissing).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from core.errors import AuditMissing
from core.models.audit import AuditLog

PROTECTED_TABLES = frozenset(
    {"students", "classes", "class_enrollments", "analyses", "analysis_conversations", "users"}
)


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


class UnitOfWork:
    """Owns one session; repositories and services use it and never commit themselves."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._audit_rows: list[dict[str, Any]] = []
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
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        sync = self._session.sync_session
        event.listen(sync, "before_flush", _on_flush)
        event.listen(sync, "do_orm_execute", _on_execute)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            # Anything not committed explicitly is discarded: no half-written use case.
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    async def single_statement(self) -> None:
        """Run this unit's one statement in its own implicit transaction, no BEGIN or COMMIT.

        For a unit that is one statement writing nothing that needs an audit row (the dialogue's
        redelivery guard): it saves the two round trips a transaction adds. Call it first; a
        write to student data in such a unit is refused before it runs (AuditMissing).
        """
        await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self.session.info["single_statement"] = True

    async def commit(self) -> None:
        """Commit everything done in this unit of work; refuse unaudited protected changes."""
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
        self.audit_rows_committed += len(self._audit_rows)
        self._audit_rows = []

    async def rollback(self) -> None:
        """Discard everything done since the last commit."""
        await self.session.rollback()
        self.session.info.pop("protected_changes", None)
        self._audit_rows = []
