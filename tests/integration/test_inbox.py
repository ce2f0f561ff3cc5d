"""The inbox and outbox SQL: stored once, taken in order, claimed for sending, pruned after."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import inbox
from core.inbox import RecordedReply
from core.uow import UnitOfWork

Factory = async_sessionmaker[AsyncSession]


async def _store(factory: Factory, key: str, conversation: str) -> bool:
    async with UnitOfWork(factory) as uow:
        fresh = await inbox.store(uow.session, event_key=key, conversation_key=conversation,
                                  payload={"n": key})  # fmt: skip
        await uow.commit()
        return fresh


async def test_an_event_is_stored_once_and_taken_in_order_per_conversation(
    session_factory: Factory,
) -> None:
    assert await _store(session_factory, "TELEGRAM:1:1", "TELEGRAM:1:u")
    assert await _store(session_factory, "TELEGRAM:1:2", "TELEGRAM:1:u")
    assert not await _store(session_factory, "TELEGRAM:1:1", "TELEGRAM:1:u")  # redelivered
    await _store(session_factory, "SHELL:local:9", "SHELL:local:x")
    async with UnitOfWork(session_factory) as uow:
        first = await inbox.next_unanswered(uow.session, "TELEGRAM:1:u")
        assert first is not None and first.payload == {"n": "TELEGRAM:1:1"}
        waiting = await inbox.waiting_conversations(
            uow.session, platforms=["TELEGRAM"], older_than_seconds=0
        )
        assert waiting == ["TELEGRAM:1:u"], "only the platforms asked for"
        await inbox.answer(uow.session, "TELEGRAM:1:1")
        await uow.commit()
        second = await inbox.next_unanswered(uow.session, "TELEGRAM:1:u")
        assert second is not None and second.event_key == "TELEGRAM:1:2"


async def test_replies_are_claimed_in_order_by_one_sender_and_pruned_once_old(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    await _store(session_factory, "TELEGRAM:1:1", "TELEGRAM:1:u")
    replies = [RecordedReply("TELEGRAM:1:5", {"chat": 5}, {"text": str(n)}) for n in range(4)]
    async with UnitOfWork(session_factory) as uow:
        await inbox.answer(uow.session, "TELEGRAM:1:1", replies)
        await uow.commit()
        claimed = await inbox.claim_unsent(uow.session, "TELEGRAM:1:5", lease_seconds=30, limit=3)
        await uow.commit()
        assert [r.reply["text"] for r in claimed] == ["0", "1", "2"]
        # Claimed: nobody else takes them until the claim runs out.
        again = await inbox.claim_unsent(uow.session, "TELEGRAM:1:5", lease_seconds=30)
        await uow.commit()
        assert [r.reply["text"] for r in again] == ["3"]
        for reply in [*claimed, *again]:
            await inbox.mark_sent(uow.session, reply.id)
        await uow.commit()
        assert await inbox.prune(uow.session, older_than_seconds=3600) == 0
    await raw.execute("UPDATE inbox_events SET created_at = now() - interval '3 days', "
                      "answered_at = now() - interval '3 days'")  # fmt: skip
    await raw.execute("UPDATE outbox_replies SET sent_at = now() - interval '3 days'")
    async with UnitOfWork(session_factory) as uow:
        assert await inbox.prune(uow.session, older_than_seconds=48 * 3600) == 5
        await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM inbox_events") == 0
