"""The durable inbox of platform events and the outbox of replies: their SQL, nothing else.

An adapter stores an event here before it acknowledges the delivery; the event's conversation
takes its events in id order, and an event stays unanswered until its exchange's last unit of
work records its replies (unsent) and marks it answered. The sender marks each reply sent. After
a crash, unanswered events are run again and unsent replies sent again. Rows hold message text:
never log them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.driver_sql import compose
from core.models import InboxEvent, OutboxReply
from core.uow import UnitOfWork

_INBOX = InboxEvent.__table__
_OUTBOX = OutboxReply.__table__

_STORE = (
    insert(_INBOX)
    .values(
        event_key=bindparam("event_key"),
        conversation_key=bindparam("conversation_key"),
        payload=bindparam("payload", type_=_INBOX.c.payload.type),
    )
    .on_conflict_do_nothing(index_elements=["event_key"])
    .returning(_INBOX.c.id)
)
# The dialogue's claim on an event, as a CTE of its first query: a new row, or the unanswered
# row an adapter stored (attempts counts the runs); no row when the event was answered before.
CLAIM = (
    insert(_INBOX)
    .values(event_key=bindparam("event_key"), conversation_key=bindparam("conversation_key"))
    .on_conflict_do_update(
        index_elements=["event_key"],
        set_={"attempts": _INBOX.c.attempts + 1},
        where=_INBOX.c.answered_at.is_(None),
    )
    .returning(_INBOX.c.id)
    .cte("claimed")
)
_APPLY = (
    update(_INBOX)
    .where(_INBOX.c.event_key == bindparam("key"))
    .values(applied_at=func.coalesce(_INBOX.c.applied_at, func.now()))
    .returning((_INBOX.c.applied_at == func.now()).label("fresh"))
)
_ANSWER = (
    update(_INBOX).where(_INBOX.c.event_key == bindparam("key")).values(answered_at=func.now())
)
_RECORD = insert(_OUTBOX)
_NEXT = (
    select(_INBOX.c.id, _INBOX.c.event_key, _INBOX.c.payload, _INBOX.c.attempts)
    .where(_INBOX.c.conversation_key == bindparam("key"), _INBOX.c.answered_at.is_(None))
    .order_by(_INBOX.c.seq)
    .limit(bindparam("limit"))
)
_WAITING = text(
    "SELECT conversation_key FROM inbox_events WHERE answered_at IS NULL "
    "AND created_at < now() - make_interval(secs => :age) "
    "AND split_part(conversation_key, ':', 1) = ANY(:platforms) "
    "GROUP BY conversation_key ORDER BY min(seq) LIMIT :limit"
)
# A chat's replies go out one at a time, in order, by one sender at a time (of any process):
# claim the chat's oldest unsent reply unless another sender's claim on it still runs, marking
# the replies just sent in the same statement. FOR UPDATE without SKIP LOCKED: a head row
# another sender is claiming right now is waited for, never skipped for the one behind it.
_CLAIM_NEXT = text(
    "WITH sent AS (UPDATE outbox_replies SET sent_at = now() WHERE id = ANY(:sent)) "
    "UPDATE outbox_replies SET claimed_until = now() + make_interval(secs => :lease) "
    "WHERE id = (SELECT id FROM outbox_replies WHERE chat_key = :chat AND sent_at IS NULL "
    "AND id <> ALL(:sent) ORDER BY seq LIMIT 1 FOR UPDATE) "
    "AND (claimed_until IS NULL OR claimed_until < now()) RETURNING id, route, reply"
)
_EXTEND = text(
    "UPDATE outbox_replies SET claimed_until = now() + make_interval(secs => :lease) "
    "WHERE id = :id AND sent_at IS NULL"
)
_UNSENT_CHATS = text(
    "SELECT chat_key FROM outbox_replies WHERE sent_at IS NULL "
    "AND split_part(chat_key, ':', 1) = ANY(:platforms) "
    "AND created_at < now() - make_interval(secs => :age) "
    "AND (claimed_until IS NULL OR claimed_until < now()) "
    "GROUP BY chat_key ORDER BY min(seq) LIMIT :limit"
)
# Unanswered events that old are gone too: no platform redelivers them any more.
_PRUNE_INBOX = text(
    "DELETE FROM inbox_events WHERE id IN (SELECT id FROM inbox_events "
    "WHERE created_at < now() - make_interval(secs => :age) LIMIT :limit)"
)
_PRUNE_OUTBOX = text(
    "DELETE FROM outbox_replies WHERE id IN (SELECT id FROM outbox_replies "
    "WHERE sent_at < now() - make_interval(secs => :age) LIMIT :limit)"
)


@dataclass(frozen=True)
class StoredEvent:
    """An unanswered event as its adapter stored it."""

    id: uuid.UUID
    event_key: str
    payload: dict[str, Any] | None
    attempts: int


@dataclass(frozen=True)
class RecordedReply:
    """A reply to send: where (the adapter's route) and what (the encoded reply)."""

    chat_key: str
    route: dict[str, Any]
    reply: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """An event answered by the write that ends its exchange, and the replies it records."""

    event_key: str
    replies: Sequence[RecordedReply] = ()


def answer_params(answer: Answer | None) -> dict[str, Any]:
    """The `answer_key` and `replies` parameters of a statement that answers an event."""
    if answer is None:
        return {"answer_key": None, "replies": "[]"}
    rows = [{"chat_key": r.chat_key, "route": r.route, "reply": r.reply} for r in answer.replies]
    return {"answer_key": answer.event_key, "replies": json.dumps(rows)}


@dataclass(frozen=True)
class UnsentReply:
    """A recorded reply claimed for sending."""

    id: uuid.UUID
    route: dict[str, Any]
    reply: dict[str, Any]


async def store(
    session: AsyncSession, *, event_key: str, conversation_key: str, payload: dict[str, Any]
) -> bool:
    """Store an event (one statement); False when its key was stored before (a redelivery)."""
    params = {"event_key": event_key, "conversation_key": conversation_key, "payload": payload}
    return (await session.execute(_STORE, params)).scalar() is not None


# The acknowledgement's store as one autocommitted statement on a pooled driver connection:
# no ORM session, compilation or greenlet hops on the path every webhook waits on.
_STORE_ON_DRIVER = compose(
    "INSERT INTO inbox_events (event_key, conversation_key, payload) "
    "VALUES (:event_key::text, :conversation_key::text, :payload::jsonb) "
    "ON CONFLICT (event_key) DO NOTHING RETURNING id"
)


async def store_event(
    uow: UnitOfWork, *, event_key: str, conversation_key: str, payload: dict[str, Any]
) -> bool:
    """As `store`, on the driver (`UnitOfWork.run_single`); False for a redelivery."""
    params = {"event_key": event_key, "conversation_key": conversation_key,
              "payload": json.dumps(payload)}  # fmt: skip
    return await uow.run_single(_STORE_ON_DRIVER, params) is not None


async def next_unanswered(session: AsyncSession, conversation_key: str) -> StoredEvent | None:
    """The conversation's oldest unanswered event."""
    found = await unanswered(session, conversation_key, limit=1)
    return found[0] if found else None


async def unanswered(
    session: AsyncSession, conversation_key: str, *, limit: int
) -> list[StoredEvent]:
    """The conversation's oldest unanswered events, at most `limit`, oldest first."""
    rows = await session.execute(_NEXT, {"key": conversation_key, "limit": limit})
    return [StoredEvent(r.id, r.event_key, r.payload, r.attempts) for r in rows]


async def waiting_conversations(
    session: AsyncSession, *, platforms: Sequence[str], older_than_seconds: float, limit: int = 500
) -> list[str]:
    """`platforms`' conversations with an unanswered event at least this old, oldest first."""
    params = {"age": older_than_seconds, "limit": limit, "platforms": list(platforms)}
    return list((await session.execute(_WAITING, params)).scalars())


async def mark_applied(session: AsyncSession, event_key: str) -> bool:
    """Note that the event's own write is stored; False when an earlier run stored it already.

    Part of the transaction of that write, so a replay after a crash never writes it twice.
    """
    fresh = (await session.execute(_APPLY, {"key": event_key})).scalar()
    return fresh is not False


async def answer(
    session: AsyncSession, event_key: str, replies: Sequence[RecordedReply] = ()
) -> None:
    """Mark the event answered and record its replies, unsent (part of the caller's unit)."""
    await session.execute(_ANSWER, {"key": event_key})
    if replies:
        rows = [
            {"event_key": event_key, "chat_key": r.chat_key, "route": r.route, "reply": r.reply}
            for r in replies
        ]
        await session.execute(_RECORD, rows)


async def claim_next(
    session: AsyncSession,
    chat_key: str,
    *,
    sent: Sequence[uuid.UUID] = (),
    lease_seconds: float,
) -> UnsentReply | None:
    """Mark `sent` sent; claim the chat's oldest unsent reply unless another sender holds it."""
    params = {"chat": chat_key, "sent": list(sent), "lease": lease_seconds}
    row = (await session.execute(_CLAIM_NEXT, params)).one_or_none()
    return None if row is None else UnsentReply(row.id, row.route, row.reply)


async def extend_claim(session: AsyncSession, reply_id: uuid.UUID, lease_seconds: float) -> None:
    """Renew the claim on a reply still being sent."""
    await session.execute(_EXTEND, {"id": reply_id, "lease": lease_seconds})


async def chats_with_unsent(
    session: AsyncSession, *, platforms: Sequence[str], older_than_seconds: float, limit: int = 500
) -> list[str]:
    """`platforms`' chats with unsent, unclaimed replies this old (their sender died)."""
    params = {"age": older_than_seconds, "limit": limit, "platforms": list(platforms)}
    return list((await session.execute(_UNSENT_CHATS, params)).scalars())


async def prune(session: AsyncSession, *, older_than_seconds: float, limit: int = 5000) -> int:
    """Delete events and sent replies older than the redelivery window; how many."""
    params = {"age": older_than_seconds, "limit": limit}
    events = (await session.execute(_PRUNE_INBOX, params)).rowcount  # type: ignore[attr-defined]
    replies = (await session.execute(_PRUNE_OUTBOX, params)).rowcount  # type: ignore[attr-defined]
    return int(events or 0) + int(replies or 0)
