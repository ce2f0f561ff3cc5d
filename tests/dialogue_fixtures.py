"""Building a dialogue engine on the test's database, real Redis and the fake OpenAI server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.redis_store import RedisLocks, RedisSeenEvents
from bot.engine import DialogueEngine, DialogueSettings
from bot.events import Incoming, Reply
from bot.slots import Slots
from core.actor import Channel
from core.demo import seed_demo
from core.identity import link_by_email
from core.models import ChatPlatform
from tests.ai_clients import openai_provider
from tests.fakes.openai_server import FakeOpenAI
from tests.service_fixtures import seeding

PRICES = {"gpt-4o-mini": (0.15, 0.60)}


@dataclass
class Chat:
    """A teacher typing into the engine through the shell platform."""

    engine: DialogueEngine
    user: str = "teacher1"
    counter: int = 0

    async def say(self, text: str = "", action: str | None = None) -> list[Reply]:
        """Send text (or a button action) and return the replies."""
        self.counter += 1
        return await self.engine.handle(Incoming(
            ChatPlatform.SHELL, "local", self.user, f"chat-{self.user}", text=text, action=action,
            event_id=f"{self.user}-{self.counter}"))


def make_engine(
    session_factory: async_sessionmaker[AsyncSession], fake: FakeOpenAI,
    client: redis.asyncio.Redis, namespace: str, slots: Slots | None = None, **settings: object,
) -> DialogueEngine:
    """An engine wired like production, pointed at the fakes."""
    ai = openai_provider(api_key="test-key", base_url=fake.base_url, model="gpt-4o-mini",
                        timeout_seconds=5, max_retries=2, backoff_base_seconds=0.01)
    return DialogueEngine(
        session_factory=session_factory, ai=ai,
        locks=RedisLocks(client, namespace=namespace, lease_seconds=30, wait_seconds=30),
        seen=RedisSeenEvents(client, namespace=namespace), prices=PRICES,
        settings=DialogueSettings(**settings),  # type: ignore[arg-type]
        slots=slots,
    )


async def seed_and_link(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Demo school, with both teachers linked to shell accounts named teacher1/teacher2."""
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    for name in ("teacher1", "teacher2", "principal", "admin"):
        async with seeding(session_factory) as uow:
            assert await link_by_email(uow, ChatPlatform.SHELL, "local", name,
                                       f"{name}@demo.school", Channel("SHELL"))


@pytest.fixture
async def fake_ai() -> AsyncIterator[FakeOpenAI]:
    """The scripted OpenAI server."""
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def chat(
    session_factory: async_sessionmaker[AsyncSession], fake_ai: FakeOpenAI,
    redis_client: redis.asyncio.Redis, redis_namespace: str,
) -> Chat:
    """teacher1 in the demo school, talking to an engine with min 2 / max 4 questions."""
    await seed_and_link(session_factory)
    engine = make_engine(session_factory, fake_ai, redis_client, redis_namespace,
                         min_questions=2, max_questions=4)
    return Chat(engine)
