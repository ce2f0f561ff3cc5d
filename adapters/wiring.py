"""Wires the dialogue engine from Settings: database, Redis, AI provider (OpenAI or offline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.charts import MatplotlibCharts
from adapters.metrics import InstrumentedAI, Metrics
from adapters.offline_ai import OfflineAnalyst
from adapters.openai import OpenAIProvider
from adapters.redis_store import RedisLocks, RedisSeenEvents, redis_client
from adapters.settings import Settings
from bot.engine import DialogueEngine, DialogueSettings
from bot.slots import Slots
from core.db import make_engine, make_session_factory
from core.ports.ai import AIProvider

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
        default_language=settings.DEFAULT_LANGUAGE,
    )


@dataclass
class Wired:
    """The engine and what must be closed with it."""

    engine: DialogueEngine
    db: AsyncEngine
    redis: redis.asyncio.Redis
    ai: AIProvider | None = None

    async def close(self) -> None:
        """Close the AI client's connections, the database pool and the Redis client."""
        if isinstance(self.ai, OpenAIProvider):
            await self.ai.aclose()
        await self.redis.aclose()
        await self.db.dispose()


def build_engine(
    settings: Settings, database_url: str, redis_url: str, metrics: Metrics | None = None
) -> Wired:
    """The dialogue engine as production runs it (AI calls instrumented when `metrics`)."""
    db = make_engine(
        database_url,
        connect_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.DATABASE_COMMAND_TIMEOUT_SECONDS,
    )
    client = redis_client(
        redis_url,
        connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.REDIS_COMMAND_TIMEOUT_SECONDS,
    )
    ai = ai_provider(settings)
    engine = DialogueEngine(
        session_factory=make_session_factory(db),
        ai=InstrumentedAI(ai, metrics) if metrics else ai,
        locks=RedisLocks(client, namespace=REDIS_NAMESPACE),
        seen=RedisSeenEvents(client, namespace=REDIS_NAMESPACE),
        prices=dict(settings.AI_PRICES),
        settings=dialogue_settings(settings),
        charts=MatplotlibCharts(),
        slots=Slots(settings.MAX_CONCURRENT_TURNS),
    )
    return Wired(engine, db, client, ai)
