"""The engine under test, wired as in production, and one timed run of its conversations."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.http_app import freeze_startup_objects
from adapters.openai import OpenAIProvider
from adapters.redis_store import RedisLocks, RedisSeenEvents, redis_client
from adapters.settings import load_settings
from adapters.wiring import driver_pool_size
from bench import machine
from bench.interviews import ANSWER
from bench.machine import CpuSample
from bench.servers import delete_keys
from bench.turns.instruments import (
    CURRENT,
    TALLY,
    CountingDriverConnection,
    Exchange,
    TimedAI,
    TimedLocks,
    TimedSeen,
    instrument,
)
from bench.turns.seats import Seat
from bench.turns.workload import TEACHERS, WORKSPACE
from bot.engine import DialogueEngine, DialogueSettings
from bot.events import Incoming, Reply
from bot.slots import Slots
from core.db import make_driver_pool, make_engine, make_session_factory
from core.driver_pool import DriverPool
from core.models import ChatPlatform

ENGINE_APPLICATION = "ge-bench-engine"


@dataclass
class Rig:
    """The engine under test, its lock store, the teachers not yet used and its database."""

    engine: DialogueEngine
    locks: RedisLocks
    teachers: Iterator[int]
    db: AsyncEngine
    # Processes counted apart in the machine's CPU: the name of each and its pid.
    pids: dict[str, int] = field(default_factory=lambda: {"engine": os.getpid()})


@dataclass
class Run:
    """One timed run at one concurrency."""

    conversations: int
    exchanges: int
    seconds: float
    own_ms: list[float]
    cpu_seconds: float
    sql: Counter[str]
    sql_seconds: float
    connects: int
    redis_round_trips: int
    redis_seconds: float
    model_seconds: float
    model_cpu: float
    machine: CpuSample | None = None

    @property
    def sql_round_trips(self) -> int:
        """Round trips to Postgres of every kind."""
        return sum(self.sql.values())

    @property
    def rate(self) -> float:
        """Exchanges per second."""
        return self.exchanges / self.seconds

    def per(self, value: float) -> float:
        """`value` per exchange."""
        return value / self.exchanges


def _route(reply: Reply, chat: str) -> tuple[str, dict[str, Any]]:
    """Where a reply goes, as an adapter's router says (recorded in the outbox, never sent)."""
    return f"SHELL:{chat}", {"chat": chat}


async def exchange(rig: Rig, seat: Seat) -> float:
    """`seat`'s next exchange through the engine; the model call's seconds within it."""
    seat.advance()
    teacher, chat = seat.teacher, f"chat-t{seat.teacher}"
    incoming = Incoming(
        ChatPlatform.SHELL, WORKSPACE, f"t{teacher}", chat, text=ANSWER,
        event_id=f"{teacher}-{seat.step}",
    )  # fmt: skip
    exchange = Exchange()
    token = CURRENT.set(exchange)
    engine = rig.engine
    try:
        # As serve's inbox worker runs a turn: the conversation's lock, then a turn slot.
        async with engine.locks.hold(incoming.conversation_key), engine.slots.held():  # type: ignore[union-attr]
            replies = await engine.handle(
                incoming, route=lambda reply: _route(reply, chat), locked=True
            )
    finally:
        CURRENT.reset(token)
    if len(replies) != 1 or not replies[0].text.startswith("Default question"):
        raise RuntimeError(f"teacher t{teacher} got {replies!r}, not the next question")
    return exchange.model_seconds


async def _conversation(rig: Rig, deadline: float, own_ms: list[float]) -> int:
    """One teacher after another answers until the deadline; returns the exchanges done."""
    loop = asyncio.get_running_loop()
    done = 0
    seat = Seat(rig.teachers)
    while loop.time() < deadline:
        started = time.perf_counter()
        model = await exchange(rig, seat)
        own_ms.append((time.perf_counter() - started - model) * 1000)
        done += 1
    return done


async def drive(rig: Rig, conversations: int, seconds: float) -> Run:
    """`conversations` teachers at once for `seconds`: the exchanges, their times and costs."""
    TALLY.reset()
    trips_before = rig.locks.round_trips
    own_ms: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    before = machine.sample(rig.pids) if machine.available() else None
    wall, cpu = time.perf_counter(), time.process_time()
    done = await asyncio.gather(
        *(_conversation(rig, deadline, own_ms) for _ in range(conversations))
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    used = machine.sample(rig.pids).since(before) if before is not None else None
    return Run(
        conversations,
        sum(done),
        wall,
        own_ms,
        cpu,
        Counter(TALLY.sql),
        TALLY.sql_seconds,
        TALLY.connects,
        rig.locks.round_trips - trips_before + TALLY.redis_calls,
        TALLY.redis_seconds,
        TALLY.model_seconds,
        TALLY.model_cpu,
        used,
    )


def build(
    db: AsyncEngine,
    client: redis.asyncio.Redis,
    namespace: str,
    fake_url: str,
    driver_pool: DriverPool | None = None,
) -> tuple[DialogueEngine, RedisLocks, OpenAIProvider]:
    """The engine as adapters.wiring builds it, with timing decorators around its ports."""
    settings = load_settings()
    ai = OpenAIProvider(
        api_key="bench", base_url=fake_url, model="gpt-4o-mini", timeout_seconds=10,
        max_retries=0,
    )  # fmt: skip
    locks = RedisLocks(client, namespace=namespace)
    engine = DialogueEngine(
        session_factory=make_session_factory(db, driver_pool),
        ai=TimedAI(ai),
        locks=TimedLocks(locks),
        seen=TimedSeen(RedisSeenEvents(client, namespace=namespace)),
        prices=dict(settings.AI_PRICES),
        # No early finish and no generation inside the six exchanges of an interview.
        settings=DialogueSettings(min_questions=8, max_questions=8, default_language="en"),
        # serve's bound on turns at once (the model's answer time not counted).
        slots=Slots(settings.MAX_CONCURRENT_TURNS),
    )
    return engine, locks, ai


@asynccontextmanager
async def engine_rig(
    url: str,
    redis_url: str,
    namespace: str,
    ai_url: str,
    *,
    application_name: str = ENGINE_APPLICATION,
    teachers: Iterator[int] | None = None,
) -> AsyncIterator[Rig]:
    """The instrumented engine on `url`; at the end its Redis keys go and everything closes."""
    client = redis_client(redis_url)
    db = make_engine(url, application_name=application_name)
    instrument(db)
    # As adapters/wiring.py builds serve's: the exchange on a driver pool of its own.
    driver_pool = make_driver_pool(
        url, size=driver_pool_size(load_settings()), application_name=application_name,
        connection_class=CountingDriverConnection,
    )  # fmt: skip
    engine, locks, ai = build(db, client, namespace, ai_url, driver_pool)
    freeze_startup_objects()  # as serve does once started: full GCs skip start-up objects
    try:
        yield Rig(engine, locks, teachers or iter(range(1, TEACHERS + 1)), db)
    finally:
        await ai.aclose()
        await delete_keys(client, f"{namespace}:*")
        await client.aclose()
        await driver_pool.close()
        await db.dispose()
