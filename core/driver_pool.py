"""Where the hot path's driver transactions get their asyncpg connections.

Two sources with one interface (`acquire`, `release`):
- `EngineConnections`: checked out of the SQLAlchemy engine's pool (every unit of work can use
  it; each checkout and return is a greenlet hop and the pool's bookkeeping);
- `DriverPool`: a pool of plain asyncpg connections of the process's own, built by the
  composition root for the exchange's hot path. A checkout is a list pop and a return a list
  push: SQLAlchemy's checkout and return were about 0.2 ms of client CPU per exchange (three of
  each), more than the statements they carried cost to send.
Connections of both are set up alike (JSON codecs as SQLAlchemy's asyncpg dialect installs
them, `jit` off, the same application_name), so a statement reads the same values on either.
Nothing is reset on return: the hot path's transactions set only transaction-local settings
(`ge_act_as` uses SET LOCAL semantics), as with the engine's pool, whose reset is a no-op for
a transaction begun on the driver.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]  # no stubs or py.typed
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class DriverConnections(Protocol):
    """A source of asyncpg connections for driver transactions."""

    async def acquire(self) -> Any:
        """A connection, exclusively the caller's until `release`."""

    async def release(self, connection: Any, *, discard: bool = False) -> None:
        """Give `connection` back; `discard`: it is in an unknown state, close it instead."""


class EngineConnections:
    """Connections checked out of a SQLAlchemy engine's pool (the default for any unit)."""

    def __init__(self, engine: AsyncEngine) -> None:
        """Check out of `engine`'s pool."""
        self._engine = engine
        self._checked_out: dict[int, PoolProxiedConnection] = {}

    async def acquire(self) -> Any:
        """The driver connection of a pooled connection."""
        raw = await self._engine.raw_connection()
        driver = raw.driver_connection
        self._checked_out[id(driver)] = raw
        return driver

    async def release(self, connection: Any, *, discard: bool = False) -> None:
        """Back to the engine's pool (invalidated when discarded or closed)."""
        raw = self._checked_out.pop(id(connection))
        await greenlet_spawn(raw.invalidate if discard or connection.is_closed() else raw.close)


async def setup_codecs(connection: asyncpg.Connection) -> None:
    """json and jsonb as SQLAlchemy's asyncpg dialect sets them: Python values out, str in."""
    await connection.set_type_codec(
        "json", encoder=str.encode, decoder=lambda b: json.loads(b.decode()),
        schema="pg_catalog", format="binary",
    )  # fmt: skip
    await connection.set_type_codec(
        "jsonb", encoder=lambda s: b"\x01" + s.encode(),
        decoder=lambda b: json.loads(b[1:].decode()), schema="pg_catalog", format="binary",
    )  # fmt: skip


class DriverPool:
    """Plain asyncpg connections, opened on demand up to `size`, handed out LIFO.

    A waiter for a connection is served in arrival order, the connection handed to it
    directly. A connection older than `recycle_seconds` is closed instead of handed out (as
    the engine's pool_recycle), one found closed is dropped; a broken one is discarded by its
    user (`release(discard=True)`), so the next checkout opens a fresh one.
    """

    def __init__(
        self, connect: Connect, *, size: int, recycle_seconds: float = 1800.0,
        timeout_seconds: float = 30.0,
    ) -> None:  # fmt: skip
        """`connect` opens one set-up connection; at most `size` are open at once."""
        if size < 1:
            raise ValueError("size must be >= 1")
        self._connect = connect
        self._size = size
        self._recycle = recycle_seconds
        self._timeout = timeout_seconds
        self._idle: list[asyncpg.Connection] = []
        self._born: dict[int, float] = {}
        self._open = 0  # open or being opened
        self._waiters: collections.deque[asyncio.Future[asyncpg.Connection | None]] = (
            collections.deque()
        )
        self._closed = False
        self.opened = 0  # connections opened so far (bench-turns reports new connections)

    async def acquire(self) -> asyncpg.Connection:
        """An idle connection, a new one while fewer than `size` are open, else wait (FIFO)."""
        if self._closed:
            raise RuntimeError("the driver pool is closed")
        while self._idle:
            connection = self._idle.pop()
            if self._usable(connection):
                return connection
            self._drop(connection)
        if self._open < self._size and not self._waiters:
            return await self._new()
        return await self._wait()

    def _usable(self, connection: asyncpg.Connection) -> bool:
        born = self._born.get(id(connection), 0.0)
        return not connection.is_closed() and time.monotonic() - born < self._recycle

    async def _new(self) -> asyncpg.Connection:
        self._open += 1
        try:
            connection = await self._connect()
        except BaseException:
            self._open -= 1
            self._hand_on(None)
            raise
        self.opened += 1
        self._born[id(connection)] = time.monotonic()
        return connection

    async def _wait(self) -> asyncpg.Connection:
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._timeout):
                handed = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed something just as we gave up: pass it on, never lose it.
                given = waiter.result()
                if given is None:
                    self._hand_on(None)
                else:
                    await self.release(given)
            else:
                self._waiters.remove(waiter)
            raise
        if handed is None:
            return await self._new()  # a place freed up: open a connection of our own
        return handed

    def _hand_on(self, connection: asyncpg.Connection | None) -> bool:
        """To the first live waiter: a connection, or None (a place to open one); whether taken."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def _drop(self, connection: asyncpg.Connection) -> None:
        self._born.pop(id(connection), None)
        self._open -= 1
        if not connection.is_closed():
            connection.terminate()

    async def release(self, connection: asyncpg.Connection, *, discard: bool = False) -> None:
        """Back to the pool or the next waiter; closed instead when discarded or recycled."""
        if discard or self._closed or not self._usable(connection):
            self._drop(connection)
            if not self._closed:
                self._hand_on(None)
            return
        if not self._hand_on(connection):
            self._idle.append(connection)

    async def close(self) -> None:
        """Close the idle connections; those checked out close as they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._born.pop(id(connection), None)
            self._open -= 1
            await connection.close()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
