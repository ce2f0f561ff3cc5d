"""Counting and timing what one exchange spends in SQL, Redis and the model call."""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.redis_store import RedisLocks, RedisSeenEvents
from core.ports.ai import AIProvider, AnalysisReply, ChatMessage, InterviewStep


@dataclass
class Exchange:
    """What one `handle` call spent outside the engine's own code."""

    model_seconds: float = 0.0


CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar("exchange", default=None)


@dataclass
class Tally:
    """Counters shared by the instruments; `reset` between runs, read after the run."""

    sql: Counter[str] = field(default_factory=Counter)
    sql_seconds: float = 0.0
    connects: int = 0
    redis_calls: int = 0
    redis_seconds: float = 0.0
    model_calls: int = 0
    model_seconds: float = 0.0
    model_cpu: float = 0.0

    def reset(self) -> None:
        """Zero every counter."""
        self.__dict__.update(Tally().__dict__)


TALLY = Tally()
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.IGNORECASE)


# Cached: the engine sends the same few statement strings again and again, and reading a
# label from a several-KB statement on each call was the bench's cost, counted as the engine's.
@functools.lru_cache(maxsize=512)
def _label(statement: str) -> str:
    verb = statement.lstrip().split(None, 1)[0].upper()
    table = _TABLE.search(statement)
    lock = " FOR UPDATE" if "FOR UPDATE" in statement.upper() else ""
    return f"{verb} {table.group(1) if table else ''}{lock}".strip()


@functools.lru_cache(maxsize=512)
def _verb(statement: str) -> str:
    return statement.split(None, 1)[0].rstrip(";").upper()


@functools.lru_cache(maxsize=512)
def _driver_label(statement: str) -> str:
    """A statement sent on the driver connection directly (`;`: the pool's pre-ping)."""
    return "ping ;" if statement.strip() == ";" else f"{_label(statement)} (driver)"


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg connection that tallies what SQLAlchemy sends outside cursor executes."""

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        """BEGIN / COMMIT / ROLLBACK from the transaction object, and plain statements."""
        started = time.perf_counter()
        try:
            return await super().execute(query, *args, **kwargs)
        finally:
            TALLY.sql[_verb(query)] += 1
            TALLY.sql_seconds += time.perf_counter() - started

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """The pool's pre-ping (`;`) and statements run on the driver connection directly."""
        started = time.perf_counter()
        try:
            return await super().fetchrow(query, *args, **kwargs)
        finally:
            TALLY.sql[_driver_label(query)] += 1
            TALLY.sql_seconds += time.perf_counter() - started

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """Statements run on the driver connection directly (the act-as check)."""
        started = time.perf_counter()
        try:
            return await super().fetchval(query, *args, **kwargs)
        finally:
            TALLY.sql[_driver_label(query)] += 1
            TALLY.sql_seconds += time.perf_counter() - started

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """Statements run on the driver connection directly."""
        started = time.perf_counter()
        try:
            return await super().fetch(query, *args, **kwargs)
        finally:
            TALLY.sql[_driver_label(query)] += 1
            TALLY.sql_seconds += time.perf_counter() - started

    async def prepare(self, query: str, **kwargs: Any) -> Any:
        """A statement-cache miss: one extra round trip to parse the statement."""
        started = time.perf_counter()
        try:
            return await super().prepare(query, **kwargs)
        finally:
            TALLY.sql["PREPARE (cache miss)"] += 1
            TALLY.sql_seconds += time.perf_counter() - started


class CountingDriverConnection(CountingConnection):
    """A connection of the engine's driver pool: also counts itself as a new connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As asyncpg's, counted."""
        super().__init__(*args, **kwargs)
        TALLY.connects += 1


def instrument(db: AsyncEngine) -> None:
    """Count and time every SQL round trip the engine's pool makes."""
    sync = db.sync_engine

    @event.listens_for(sync, "do_connect")
    def _counting(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["connection_class"] = CountingConnection

    @event.listens_for(sync.pool, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        TALLY.connects += 1

    @event.listens_for(sync, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(sync, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        TALLY.sql[_label(statement)] += 1
        TALLY.sql_seconds += time.perf_counter() - conn.info.pop("bench_started")


class TimedAI:
    """AIProvider decorator: measures time inside the model call so it can be subtracted."""

    def __init__(self, inner: AIProvider) -> None:
        """Wrap `inner`."""
        self._inner = inner

    @property
    def name(self) -> str:
        """The wrapped provider's model name."""
        return self._inner.name

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """The wrapped call, timed."""
        async with self._timed():
            return await self._inner.next_question(
                messages, language=language, may_finish=may_finish
            )

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """The wrapped call, timed."""
        async with self._timed():
            return await self._inner.produce_analysis(messages, language=language)

    @asynccontextmanager
    async def _timed(self) -> AsyncIterator[None]:
        # Wall time only: process_time is a system call, and the bench's own cost should not
        # be counted as the engine's.
        wall = time.perf_counter()
        try:
            yield
        finally:
            wall = time.perf_counter() - wall
            TALLY.model_calls += 1
            TALLY.model_seconds += wall
            exchange = CURRENT.get()
            if exchange is not None:
                exchange.model_seconds += wall


class TimedLocks:
    """ConversationLocks decorator: times acquire and release (round trips come from inner)."""

    def __init__(self, inner: RedisLocks) -> None:
        """Wrap `inner`."""
        self.inner = inner

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """The wrapped lock; time outside the block is Redis time."""
        started = time.perf_counter()
        manager = self.inner.hold(key)
        await manager.__aenter__()
        TALLY.redis_seconds += time.perf_counter() - started
        try:
            yield
        except BaseException as error:
            if not await manager.__aexit__(type(error), error, error.__traceback__):
                raise
        else:
            started = time.perf_counter()
            await manager.__aexit__(None, None, None)
            TALLY.redis_seconds += time.perf_counter() - started


class TimedSeen:
    """SeenEvents decorator: one SET NX per call, counted and timed."""

    def __init__(self, inner: RedisSeenEvents) -> None:
        """Wrap `inner`."""
        self._inner = inner

    async def first_time(self, event_key: str) -> bool:
        """The wrapped check, timed."""
        started = time.perf_counter()
        try:
            return await self._inner.first_time(event_key)
        finally:
            TALLY.redis_calls += 1
            TALLY.redis_seconds += time.perf_counter() - started
