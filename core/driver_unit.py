"""A unit of work's transaction held on a pooled driver connection, with no ORM session on top.

For the exchange's hot path (`@service(on_driver=True)`): BEGIN, the act-as check, the unit's
statements and COMMIT go straight through asyncpg on a connection checked out of the unit's
driver connections (the process's own asyncpg pool when the composition root built one, else
the engine's pool: core/driver_pool.py), and the connection goes back as soon as the
transaction ends. The same rules as the session's transactions: `ge_act_as` first
(AccessDenied, rolled back, when the actor is not live), audit rows queued on the unit inserted
before COMMIT, ROLLBACK on anything else.

A statement that reports whether an actor is set (an `acting` column, as the exchange's two
writes do) lets BEGIN and `ge_act_as` share one round trip: a refused actor is cleared by
`ge_act_as` itself, so that statement sees no student data and writes nothing, and the
refusal is then read and raised as before (`confirm`).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from core.actor import Actor
from core.driver_pool import DriverConnections
from core.driver_sql import AUDIT_COLUMNS, AUDIT_ROWS, compose
from core.errors import AccessDenied

_ACT_AS = "SELECT ge_act_as($1::uuid, $2::text, $3::uuid)"
_ROLE = re.compile(r"[A-Z_]+")
_INSERT_AUDIT = compose(f"INSERT INTO audit_logs ({AUDIT_COLUMNS}) SELECT * FROM {AUDIT_ROWS}")


def _literal(value: uuid.UUID | None) -> str:
    # Only ever a UUID object (its text is hex and dashes) or NULL: nothing to escape.
    if value is None:
        return "NULL"
    if not isinstance(value, uuid.UUID):
        raise TypeError(f"not a UUID: {type(value).__name__}")
    return f"'{value}'::uuid"


def _begin_acting(actor: Actor) -> str:
    """BEGIN and the act-as in one simple-protocol message (no parameters: literals)."""
    role = "SYSTEM" if actor.is_system else str(actor.role)
    if not _ROLE.fullmatch(role):
        raise ValueError(f"not a role: {role!r}")
    return (f"BEGIN; SELECT ge_act_as({_literal(actor.user_id)}, '{role}', "
            f"{_literal(actor.school_id)})")  # fmt: skip


def audit_json(rows: list[dict[str, Any]]) -> str:
    """Queued audit rows as the `audit` parameter of a driver statement."""
    return json.dumps(rows, default=str)


class DriverTransaction:
    """One transaction on a connection of `connections`, acting as an actor."""

    def __init__(self, connections: DriverConnections) -> None:
        """Nothing is checked out until `begin`."""
        self._connections = connections
        self._held: Any = None
        # Acting as someone not yet confirmed by a statement (see `begin`).
        self.unconfirmed = False

    @property
    def active(self) -> bool:
        """Whether a transaction is open."""
        return self._held is not None

    @property
    def connection(self) -> Any:
        """The asyncpg connection of the open transaction."""
        assert self._held is not None, "no driver transaction open"
        return self._held

    async def begin(self, actor: Actor, *, checked_by_statement: bool = False) -> None:
        """Check a connection out, BEGIN and act as `actor` (AccessDenied: rolled back).

        `checked_by_statement`: BEGIN and `ge_act_as` go in one round trip, and the act-as
        answer is read from the transaction's first statement (its `acting` column, see
        `confirm`); until then the transaction is `unconfirmed`.
        """
        self._held = await self._connections.acquire()
        try:
            if checked_by_statement:
                await self.connection.execute(_begin_acting(actor))
                self.unconfirmed = True
                return
            await self.connection.execute("BEGIN")
        except BaseException:
            await self.end("ROLLBACK")
            raise
        await self._act_as(actor)

    async def _act_as(self, actor: Actor) -> None:
        """`ge_act_as` for `actor`; a refusal (or any error) rolls back and is raised."""
        role = "SYSTEM" if actor.is_system else str(actor.role)
        try:
            reason = await self.connection.fetchval(_ACT_AS, actor.user_id, role, actor.school_id)
        except BaseException:
            await self.end("ROLLBACK")
            raise
        if reason is not None:
            await self.end("ROLLBACK")
            raise AccessDenied(str(reason))

    async def confirm(self, actor: Actor, acting: bool) -> bool:
        """After the first statement of an unconfirmed transaction: whether to run it again.

        `acting` is what the statement read: whether `ge_act_as` set an actor. A refused one
        left a transaction that sees no student data, so the statement found and wrote
        nothing; asked again, `ge_act_as` gives the reason (AccessDenied, rolled back). An
        actor live by then (changed between the two reads) acts now: run the statement again.
        """
        self.unconfirmed = False
        if acting:
            return False
        await self._act_as(actor)
        return True

    async def fetch_one(self, sql: str, *args: Any) -> Any:
        """One statement outside any transaction (autocommitted), on a connection of its own."""
        driver = await self._connections.acquire()
        try:
            row = await driver.fetchrow(sql, *args)
        except BaseException as error:
            # A cancelled statement may leave the connection mid-protocol: never reuse it then.
            broken = driver.is_closed() or not isinstance(error, Exception)
            await self._connections.release(driver, discard=broken)
            raise
        await self._connections.release(driver)
        return row

    async def insert_audit_rows(self, rows: list[dict[str, Any]]) -> None:
        """The unit's queued audit rows, in this transaction."""
        await self.connection.execute(_INSERT_AUDIT.sql, *_INSERT_AUDIT.args(
            {"audit": audit_json(rows)}))  # fmt: skip

    async def end(self, verb: str) -> None:
        """COMMIT or ROLLBACK, and give the connection back (a broken one is discarded)."""
        held, self._held = self._held, None
        self.unconfirmed = False
        if held is None:
            return
        try:
            await held.execute(verb)
        except BaseException as error:
            # In an unknown state (cut off, cancelled mid-statement): never back to the pool.
            await self._connections.release(held, discard=True)
            if verb == "COMMIT" or not isinstance(error, Exception):
                raise
            return
        await self._connections.release(held)
