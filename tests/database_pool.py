"""Each test's fresh copy of the migrated template, made before the test asks and dropped after.

A test still gets a database no other test has touched, copied from the template; only the
waiting moves. Copying the template takes about half a second, and PostgreSQL 15's DROP DATABASE
waits for a forced checkpoint of the whole server (one to three seconds while other databases
are busy), so a test used to spend several times its own run on both. A thread of this process
copies the template ahead of the tests and drops the copies they are done with, several at once:
drops requested together wait on one checkpoint instead of one each.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")
# Spare copies kept ready, each made on a connection of its own: several copies made together
# take little longer than one, and a test may take only a tenth of a second.
AHEAD = 3
# Drops sent together; more would only hold more of the server's connections.
DROP_BATCH = 8


class DatabasePool:
    """Copies of `template` on the server at `admin_dsn` (its `postgres` database, as owner)."""

    def __init__(self, admin_dsn: str, template: str, ahead: int = AHEAD) -> None:
        self._admin_dsn = admin_dsn
        self.template = template
        self._ahead = ahead
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="database-pool", daemon=True
        )
        self._thread.start()
        self._made: set[str] = set()
        self._dropped: set[str] = set()
        self._errors: list[BaseException] = []
        self._call(self._start())

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the pool's thread and wait for it (from a thread of the tests')."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _start(self) -> None:
        self._closing = False
        self._ready: asyncio.Queue[str | BaseException] = asyncio.Queue()
        self._room = asyncio.Semaphore(self._ahead)
        self._used: asyncio.Queue[str] = asyncio.Queue()
        self._producers = [asyncio.create_task(self._produce()) for _ in range(self._ahead)]
        self._dropper = asyncio.create_task(self._drop_used())

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def _produce(self) -> None:
        while True:
            await self._room.acquire()
            if self._closing:
                return
            name = f"ge_test_{uuid.uuid4().hex[:12]}"
            self._made.add(name)
            try:
                await self._admin(
                    f"CREATE DATABASE {name} TEMPLATE {self.template}",
                    # A commit then returns before its WAL reaches the disk, which other work on
                    # the machine keeps busy; what every session sees is the same, and only a
                    # crash of the server (which no test makes of this one) could lose a commit.
                    f"ALTER DATABASE {name} SET synchronous_commit = off",
                )
            except Exception as exc:  # handed to the test that takes this copy
                self._ready.put_nowait(exc)
                continue
            self._ready.put_nowait(name)

    async def _drop(self, name: str) -> None:
        try:
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self._dropped.add(name)
        except Exception as exc:  # kept for close(), which fails the run with it
            self._errors.append(exc)

    async def _drop_used(self) -> None:
        while True:
            batch = [await self._used.get()]
            while len(batch) < DROP_BATCH and not self._used.empty():
                batch.append(self._used.get_nowait())
            await asyncio.gather(*(self._drop(name) for name in batch))
            for _ in batch:
                self._used.task_done()

    async def _take(self) -> str:
        got = await self._ready.get()
        self._room.release()
        if isinstance(got, BaseException):
            raise got
        return got

    async def take(self) -> str:
        """The name of a fresh copy of the template, now the test's alone."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._take(), self._loop))

    def give_back(self, name: str) -> None:
        """Drop database `name` (any of the server's, copied here or not) soon, off the test's
        path."""
        self._loop.call_soon_threadsafe(self._used.put_nowait, name)

    async def _close(self, also: list[str]) -> None:
        self._closing = True
        for _ in self._producers:
            self._room.release()
        # A copy being made is finished first, so that it is dropped below.
        await asyncio.gather(*self._producers)
        while not self._ready.empty():
            spare = self._ready.get_nowait()
            if isinstance(spare, str):
                self._used.put_nowait(spare)
        for name in also:
            self._used.put_nowait(name)
        # One batch if the dropper is idle: the run's last drops share a checkpoint too.
        await self._used.join()
        self._dropper.cancel()
        # Copies a test took and never gave back (its teardown did not run).
        await asyncio.gather(*(self._drop(name) for name in self._made - self._dropped))

    def close(self, also: list[str]) -> None:
        """Drop every copy not dropped yet and the databases named in `also`, stop the thread;
        raise the first drop that failed."""
        try:
            self._call(self._close(also))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()
        if self._errors:
            raise self._errors[0]
