"""Wires the dialogue engine from Settings: database, Redis, AI provider (OpenAI or offline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from adapters.charts import MatplotlibCharts
from adapters.metrics import InstrumentedAI, Metrics
from adapters.offline_ai import OfflineAnalyst
from adapters.openai import OpenAIProvider
from adapters.pipeline_settings import PipelineSettings
from adapters.redis_store import RedisLocks, RedisSeenEvents, redis_client
from adapters.settings import Settings
from bot.engine import DialogueEngine, DialogueSettings
from bot.slots import Slots
from core.db import asyncpg_url, make_driver_pool, make_engine, make_session_factory
from core.driver_pool import DriverPool
from core.ports.ai import AIProvider
from core.read_uow import ReadRouting

REDIS_NAMESPACE = "ge"


def ai_provider(settings: Settings) -> AIProvider:
    """OpenAI when an API key is set, else the offline analyst (so a fresh machine works)."""
    if settings.OPENAI_API_KEY:
        return OpenAIProvider(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_MODEL,
            timeout_seconds=settings.OPENAI_TIMEOUT_SECONDS,
            max_retries=settings.OPENAI_MAX_RETRIES,
        )
    return OfflineAnalyst()


def dialogue_settings(settings: Settings) -> DialogueSettings:
    """Interview length, idle expiry and default language from Settings."""
    return DialogueSettings(
        min_questions=settings.INTERVIEW_MIN_QUESTIONS,
        max_questions=max(settings.INTERVIEW_MAX_QUESTIONS, settings.INTERVIEW_MIN_QUESTIONS),
        idle_timeout=timedelta(hours=settings.INTERVIEW_IDLE_HOURS),
        remind_after=timedelta(hours=settings.INTERVIEW_REMIND_HOURS),
        default_language=settings.DEFAULT_LANGUAGE,
        turn_seconds=settings.TURN_DEADLINE_SECONDS,
    )


SERVE_POOL_SIZE = 20
# Connections of the exchange's driver pool beyond one per turn slot (a turn holds at most one,
# and gives it back before the model call).
DRIVER_POOL_SPARE = 4


def driver_pool_size(settings: Settings) -> int:
    """How many connections the exchange's own pool may open (core/driver_pool.py)."""
    return settings.MAX_CONCURRENT_TURNS + DRIVER_POOL_SPARE


def pipeline_settings(settings: Settings) -> PipelineSettings:
    """Sweep and retention of serve's inbox from Settings."""
    return PipelineSettings(
        sweep_seconds=settings.INBOX_SWEEP_SECONDS,
        retention_seconds=settings.INBOX_RETENTION_HOURS * 3600,
    )


@dataclass
class Wired:
    """The engine and what must be closed with it."""

    engine: DialogueEngine
    db: AsyncEngine
    redis: redis.asyncio.Redis
    ai: AIProvider | None = None
    pipeline_settings: PipelineSettings | None = None
    # A small pool of its own for storing events before they are acknowledged.
    ack_db: AsyncEngine | None = None
    replica: AsyncEngine | None = None
    # The exchange's own asyncpg connections (core/driver_pool.py).
    driver_pool: DriverPool | None = None

    @property
    def ack_sessions(self) -> async_sessionmaker[AsyncSession] | None:
        """Sessions on the acknowledgements' pool, when there is one."""
        return None if self.ack_db is None else make_session_factory(self.ack_db)

    async def close(self) -> None:
        """Close the AI client's connections, the database pools and the Redis client."""
        if isinstance(self.ai, OpenAIProvider):
            await self.ai.aclose()
        await self.redis.aclose()
        if self.driver_pool is not None:
            await self.driver_pool.close()
        await self.db.dispose()
        if self.ack_db is not None:
            await self.ack_db.dispose()
        if self.replica is not None:
            await self.replica.dispose()


def replica_engine(url: str) -> AsyncEngine:
    """The read replica's engine: a short connect timeout and a ping, so a dead replica is
    noticed at checkout and the read falls back to the primary (core/read_uow.py)."""
    return create_async_engine(
        asyncpg_url(url),
        pool_size=10,
        max_overflow=10,
        pool_recycle=1800,
        pool_pre_ping=True,
        connect_args={"timeout": 3},
    )


def read_routing(primary: AsyncEngine, replica: AsyncEngine | None) -> ReadRouting:
    """Where read-only units of work run: the replica when configured, else the primary."""
    return ReadRouting(
        make_session_factory(primary),
        make_session_factory(replica) if replica is not None else None,
    )


def build_engine(
    settings: Settings,
    database_url: str,
    redis_url: str,
    metrics: Metrics | None = None,
    *,
    namespace: str = REDIS_NAMESPACE,
) -> Wired:
    """The dialogue engine as production runs it (AI calls instrumented when `metrics`).

    `namespace` prefixes its Redis keys; tests give each test its own.
    """
    pool_size = max(SERVE_POOL_SIZE, 2 * settings.MAX_CONCURRENT_TURNS + 4)
    db = make_engine(
        database_url,
        # Room for every turn slot and as many inbox reads and reply sends besides (the per-chat
        # senders and the workers' inbox reads), kept warm so a burst never opens overflow
        # connections only to close them (each a new backend, its statements prepared again).
        pool_size=pool_size,
        connect_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.DATABASE_COMMAND_TIMEOUT_SECONDS,
    )
    # The exchange's opening read and two writes check out of a pool of their own: plain
    # asyncpg connections, opened as turns need them (a turn holds one at a time) and kept.
    driver_pool = make_driver_pool(
        database_url,
        size=driver_pool_size(settings),
        connect_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.DATABASE_COMMAND_TIMEOUT_SECONDS,
    )
    replica_url = settings.DATABASE_REPLICA_URL
    replica = replica_engine(replica_url) if replica_url else None
    client = redis_client(
        redis_url,
        connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.REDIS_COMMAND_TIMEOUT_SECONDS,
    )
    ai = ai_provider(settings)
    engine = DialogueEngine(
        session_factory=make_session_factory(db, driver_pool),
        ai=InstrumentedAI(ai, metrics) if metrics else ai,
        locks=RedisLocks(
            client,
            namespace=namespace,
            lease_seconds=settings.LOCK_LEASE_SECONDS,
            # A queued turn waits for the one before it, however long its model call may run.
            wait_seconds=settings.TURN_DEADLINE_SECONDS + 60,
            max_hold_seconds=settings.TURN_DEADLINE_SECONDS + 30,
        ),
        seen=RedisSeenEvents(client, namespace=namespace),
        prices=dict(settings.AI_PRICES),
        settings=dialogue_settings(settings),
        charts=MatplotlibCharts(),
        slots=Slots(settings.MAX_CONCURRENT_TURNS),
        reads=read_routing(db, replica),
    )
    ack_db = make_engine(database_url, pool_size=4)
    return Wired(engine, db, client, ai, pipeline_settings(settings), ack_db, replica, driver_pool)
