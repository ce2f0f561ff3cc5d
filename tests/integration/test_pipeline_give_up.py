"""Known limits, closed: a failing event is given up never silently; a slow send is not repeated.

An event that fails every run gets one failure message and an error line; a send that lasts
longer than its claim keeps it, so a second process does not send the reply again.

The pipeline runs on the real inbox, outbox and Redis locks; the platform's runner, give-up
and sender are the test's own functions (the pipeline's plug points), so an event can fail on
purpose every time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.pipeline import Pipeline
from adapters.pipeline_settings import PipelineSettings
from adapters.redis_store import RedisLocks
from adapters.sending import Senders
from bot import outgoing
from bot.events import Reply
from core import inbox
from core.inbox import RecordedReply, StoredEvent
from core.uow import UnitOfWork

CONVERSATION = "TELEGRAM:1:7"
CHAT = "TELEGRAM:1:7"
SETTINGS = PipelineSettings(retry_seconds=0.01, max_retry_seconds=0.02, max_attempts=5)


class Platform:
    """A platform whose event "poison" always fails; anything else is answered "ok <key>"."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], give_up_fails: bool) -> None:
        self.factory = factory
        self.give_up_fails = give_up_fails
        self.runs: list[str] = []
        self.given_up: list[str] = []
        self.sent: list[str] = []

    async def _answer(self, event: StoredEvent, text: str) -> set[str]:
        reply = RecordedReply(CHAT, {"chat": 7}, outgoing.encode(Reply(text)))
        async with UnitOfWork(self.factory) as uow:
            await inbox.answer(uow.session, event.event_key, [reply])
            await uow.commit()
        return {CHAT}

    async def run(self, event: StoredEvent) -> set[str] | None:
        self.runs.append(event.event_key)
        if event.event_key.endswith("poison"):
            raise RuntimeError("this event always fails")
        return await self._answer(event, f"ok {event.event_key}")

    async def give_up(self, event: StoredEvent) -> set[str]:
        self.given_up.append(event.event_key)
        if self.give_up_fails:
            raise RuntimeError("cannot even say so")
        return await self._answer(event, "failed, send it again")

    async def deliver(self, route: dict[str, Any], reply: Reply) -> None:
        self.sent.append(reply.text)


async def _run(
    factory: async_sessionmaker[AsyncSession],
    client: redis.asyncio.Redis,
    namespace: str,
    give_up_fails: bool,
) -> Platform:
    pipeline = Pipeline(session_factory=factory, slots=None, settings=SETTINGS,
                        locks=RedisLocks(client, namespace=namespace, lease_seconds=2))  # fmt: skip
    platform = Platform(factory, give_up_fails)
    pipeline.register("TELEGRAM", platform.run, platform.deliver, platform.give_up)
    for key in ("TELEGRAM:1:1-poison", "TELEGRAM:1:2"):
        await pipeline.accept(event_key=key, conversation_key=CONVERSATION, payload={})
    await pipeline.idle()
    return platform


@pytest.mark.parametrize("give_up_fails", [False, True])
async def test_an_event_failing_every_run_is_given_up_with_a_message_and_an_error_line(
    session_factory: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
    raw: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    give_up_fails: bool,
) -> None:
    caplog.set_level(logging.WARNING)

    platform = await _run(session_factory, redis_client, redis_namespace, give_up_fails)

    poison = "TELEGRAM:1:1-poison"
    assert platform.runs == [poison] * SETTINGS.max_attempts + ["TELEGRAM:1:2"]
    assert platform.given_up == [poison]
    told = [] if give_up_fails else ["failed, send it again"]
    assert platform.sent == [*told, "ok TELEGRAM:1:2"], "the next message is not held up"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(poison in line and "giving up" in line for line in errors), errors
    if give_up_fails:
        assert any("could not tell the sender" in line for line in errors), errors
    # Nothing acknowledged is lost without a trace: the event stays in the inbox, answered.
    rows = await raw.fetch("SELECT event_key, answered_at FROM inbox_events ORDER BY seq")
    assert [(r["event_key"], r["answered_at"] is not None) for r in rows] == [
        (poison, True), ("TELEGRAM:1:2", True)]  # fmt: skip
    assert await raw.fetchval("SELECT count(*) FROM outbox_replies WHERE sent_at IS NULL") == 0


async def test_a_send_outlasting_its_claim_is_not_taken_up_by_a_second_process(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    """Known limit (a): the claim is renewed while the send runs, so nobody sends it twice."""
    reply = RecordedReply(CHAT, {"chat": 7}, outgoing.encode(Reply("slow")))
    await raw.execute("INSERT INTO inbox_events (event_key, conversation_key) VALUES ('e', 'c')")
    async with UnitOfWork(session_factory) as uow:
        await inbox.answer(uow.session, "e", [reply])
        await uow.commit()
    sent: list[str] = []

    async def slow(route: dict[str, Any], reply: Reply) -> None:
        await asyncio.sleep(1.2)  # four claims long
        sent.append(reply.text)

    def senders() -> Senders:
        return Senders(session_factory, claim_seconds=0.3, attempts=1, retry_seconds=0.01,
                       max_retry_seconds=0.01)  # fmt: skip

    first, second = senders(), senders()  # as two serve processes
    first.deliverers["TELEGRAM"] = slow
    second.deliverers["TELEGRAM"] = slow
    first.send(CHAT)
    for _ in range(4):
        await asyncio.sleep(0.25)
        second.send(CHAT)  # its sweep finding the reply unsent, again and again
        await asyncio.gather(*second.tasks.values())
    await asyncio.gather(*first.tasks.values())

    assert sent == ["slow"]
    assert await raw.fetchval("SELECT count(*) FROM outbox_replies WHERE sent_at IS NULL") == 0
