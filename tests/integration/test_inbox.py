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
    chat = "TELEGRAM:1:5"
    replies = [RecordedReply(chat, {"chat": 5}, {"text": str(n)}) for n in range(4)]
    async with UnitOfWork(session_factory) as uow:
        await inbox.answer(uow.session, "TELEGRAM:1:1", replies)
        await uow.commit()
        first = await inbox.claim_next(uow.session, chat, lease_seconds=30)
        await uow.commit()
        assert first is not None and first.reply["text"] == "0"
        # Claimed: another sender gets nothing, not the reply behind it (order across processes).
        assert await inbox.claim_next(uow.session, chat, lease_seconds=30) is None
        await uow.commit()
        second = await inbox.claim_next(uow.session, chat, sent=[first.id], lease_seconds=30)
        await uow.commit()
        assert second is not None and second.reply["text"] == "1"
        # A claim that ran out (its sender died) is taken up by the next sender.
        await raw.execute("UPDATE outbox_replies SET claimed_until = now() - interval '1 s'")
        again = await inbox.claim_next(uow.session, chat, lease_seconds=30)
        await uow.commit()
        assert again is not None and again.id == second.id
        texts, sent = [], [second.id]
        while row := await inbox.claim_next(uow.session, chat, sent=sent, lease_seconds=30):
            texts.append(row.reply["text"])
            sent = [row.id]
        await uow.commit()
        assert texts == ["2", "3"]
        assert await raw.fetchval("SELECT count(*) FROM outbox_replies WHERE sent_at IS NULL") == 0
        assert await inbox.prune(uow.session, older_than_seconds=3600) == 0
    await raw.execute("UPDATE inbox_events SET created_at = now() - interval '3 days', "
                      "answered_at = now() - interval '3 days'")  # fmt: skip
    await raw.execute("UPDATE outbox_replies SET sent_at = now() - interval '3 days'")
    async with UnitOfWork(session_factory) as uow:
        assert await inbox.prune(uow.session, older_than_seconds=48 * 3600) == 5
        await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM inbox_events") == 0
