"""Read-only work on a streaming replica, its audit rows committed on the primary.

`ReadRouting.unit()` is the unit of work for a read-only use case (summaries, flagged lists,
exports, audit queries, search). Without a replica it is an ordinary unit on the primary. With
one, the service's statements run on the replica and `commit` inserts the unit's audit rows on
the primary in a transaction of their own; the service returns its result only after that
commit, so nothing read on the replica is shown unless its audit row is durable. A unit that
tries to write anything else fails on the replica (a standby refuses writes) or here.

When the replica cannot be reached, the unit falls back to the primary, logs one line, and
the replica is not tried again for `retry_after` seconds, so an outage costs one failed connect
per interval rather than one per request.

Row-level security: the replica session is the unit's own session, so `act_as` works on it as
on the primary (every transaction begins with `ge_act_as`, which only reads and sets
transaction-local settings, as a standby allows); without it the replica returns no student
rows. The commit re-checks the actor on the primary before it writes the audit rows.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models.audit import AuditLog
from core.session_guards import PROTECTED_CHANGES, check_live
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
Factory = async_sessionmaker[AsyncSession]


class ReadOnlyWork(RuntimeError):
    """A unit of work on the replica tried to write something other than audit rows."""


class ReadRouting:
    """Chooses where read-only units of work run: the replica while it answers, else primary."""

    def __init__(
        self, primary: Factory, replica: Factory | None = None, *, retry_after: float = 30.0
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.retry_after = retry_after
        self._down_until = 0.0

    def unit(self) -> UnitOfWork:
        """A unit of work for a read-only use case."""
        if self.replica is None or time.monotonic() < self._down_until:
            return UnitOfWork(self.primary)
        return ReplicaUnitOfWork(self)

    def replica_failed(self, error: BaseException) -> None:
        """Note that the replica did not answer: use the primary for a while."""
        self._down_until = time.monotonic() + self.retry_after
        log.warning(
            "Read replica unavailable (%s); reading from the primary for %.0f s",
            str(error).splitlines()[0] if str(error) else type(error).__name__,
            self.retry_after,
        )


class ReplicaUnitOfWork(UnitOfWork):
    """Reads on the replica; the audit rows of those reads committed on the primary."""

    def __init__(self, routing: ReadRouting) -> None:
        assert routing.replica is not None
        super().__init__(routing.replica)
        self._routing = routing
        self.on_replica = True

    async def __aenter__(self) -> ReplicaUnitOfWork:
        await super().__aenter__()
        try:
            # Check out (and pre-ping) a replica connection now, while falling back is clean.
            await self.session.connection()
        except (OSError, DBAPIError) as error:
            await super().__aexit__(None, None, None)
            self._routing.replica_failed(error)
            # The same unit, on the primary: its commit is then the ordinary one.
            UnitOfWork.__init__(self, self._routing.primary)
            self.on_replica = False
            await super().__aenter__()
        return self

    async def commit(self) -> None:
        """Insert the audit rows on the primary and commit; end the read on the replica."""
        if not self.on_replica:
            await super().commit()
            return
        session = self.session
        if session.new or session.dirty or session.deleted or session.info.get(PROTECTED_CHANGES):
            raise ReadOnlyWork("a unit of work on the read replica may only add audit rows")
        rows: list[dict[str, Any]] = self.take_audit_rows()
        actor = self.actor
        await session.rollback()  # nothing was written on the replica; end its snapshot
        if rows:
            async with self._routing.primary() as primary:
                # The replica may lag a deactivation: the audit rows, and so the result, wait
                # for the primary's own live-user check (it also sets RLS's actor, as act_as).
                if actor is not None:
                    await check_live(primary, actor)
                await primary.execute(insert(AuditLog.__table__), rows)
                await primary.commit()
        self.audit_rows_committed += len(rows)
