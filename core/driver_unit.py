"""A unit of work's transaction held on a pooled driver connection, with no ORM session on top.

For the exchange's hot path (`@service(on_driver=True)`): BEGIN, the act-as check, the unit's
statements and COMMIT go straight through asyncpg on a connection checked out of the engine's
pool, and the connection goes back as soon as the transaction ends. The same rules as the
session's transactions: `ge_act_as` first (AccessDenied, rolled back, when the actor is not
live), audit rows queued on the unit inserted before COMMIT, ROLLBACK on anything else.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from core.actor import Actor
from core.driver_sql import AUDIT_COLUMNS, AUDIT_ROWS, compose
from core.errors import AccessDenied

_ACT_AS = "SELECT ge_act_as($1::uuid, $2::text, $3::uuid)"
_INSERT_AUDIT = compose(f"INSERT INTO audit_logs ({AUDIT_COLUMNS}) SELECT * FROM {AUDIT_ROWS}")


def audit_json(rows: list[dict[str, Any]]) -> str:
    """Queued audit rows as the `audit` parameter of a driver statement."""
    return json.dumps(rows, default=str)


class DriverTransaction:
    """One transaction on a connection of `engine`'s pool, acting as an actor."""

    def __init__(self, engine: AsyncEngine) -> None:
        """Nothing is checked out until `begin`."""
        self._engine = engine
        self._raw: PoolProxiedConnection | None = None

    @property
    def active(self) -> bool:
        """Whether a transaction is open."""
        return self._raw is not None

    @property
    def connection(self) -> Any:
        """The asyncpg connection of the open transaction."""
        assert self._raw is not None, "no driver transaction open"
        return self._raw.driver_connection

    async def begin(self, actor: Actor) -> None:
        """Check a connection out, BEGIN and act as `actor` (AccessDenied: rolled back)."""
        self._raw = await self._engine.raw_connection()
        try:
            await self.connection.execute("BEGIN")
            role = "SYSTEM" if actor.is_system else str(actor.role)
            reason = await self.connection.fetchval(_ACT_AS, actor.user_id, role, actor.school_id)
        except BaseException:
            await self.end("ROLLBACK")
            raise
        if reason is not None:
            await self.end("ROLLBACK")
            raise AccessDenied(str(reason))

    async def fetch_one(self, sql: str, *args: Any) -> Any:
        """One statement outside any transaction (autocommitted), on a connection of its own."""
        raw = await self._engine.raw_connection()
        driver: Any = raw.driver_connection
        try:
            row = await driver.fetchrow(sql, *args)
        except BaseException:
            await greenlet_spawn(raw.invalidate if driver.is_closed() else raw.close)
            raise
        await greenlet_spawn(raw.close)
        return row

    async def insert_audit_rows(self, rows: list[dict[str, Any]]) -> None:
        """The unit's queued audit rows, in this transaction."""
        await self.connection.execute(_INSERT_AUDIT.sql, *_INSERT_AUDIT.args(
            {"audit": audit_json(rows)}))  # fmt: skip

    async def end(self, verb: str) -> None:
        """COMMIT or ROLLBACK, and give the connection back (a broken one is discarded)."""
        raw, self._raw = self._raw, None
        if raw is None:
            return
        driver: Any = raw.driver_connection
        try:
            await driver.execute(verb)
        except BaseException as error:
            # In an unknown state (cut off, cancelled mid-statement): never back to the pool.
            await greenlet_spawn(raw.invalidate)
            if verb == "COMMIT" or not isinstance(error, Exception):
                raise
            return
        await greenlet_spawn(raw.close)
