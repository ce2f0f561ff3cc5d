"""Serve's per-chat senders: each chat's recorded replies sent in order, once, outside any slot.

A sender claims its chat's oldest unsent reply for a short lease (only if no other sender, of
any process, holds it), sends it at the chat's pace, and marks it sent in the same statement
that claims the next: two round trips per reply, replies in order, and the only duplicate a
crash can cause is the one reply sent just before it. While a send runs (a paced chat, a
platform's Retry-After, retries), the claim is renewed, so a second serve process never takes
up a reply this one is still sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import outgoing
from bot.events import Reply
from core import inbox
from core.uow import UnitOfWork

log = logging.getLogger(__name__)

# Sends one recorded reply; raises Undeliverable when trying again cannot help.
Deliver = Callable[[dict[str, Any], Reply], Awaitable[None]]


class Undeliverable(Exception):
    """The platform refuses this reply for good (blocked bot, unknown chat): do not retry."""


def platform_of(key: str) -> str:
    """The platform prefix of a conversation or chat key (`TELEGRAM:…`)."""
    return key.split(":", 1)[0]


class Senders:
    """One task per chat with unsent replies, started on demand, ending when none is left."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        claim_seconds: float,
        attempts: int,
        retry_seconds: float,
        max_retry_seconds: float,
    ) -> None:
        self.session_factory = session_factory
        self.claim_seconds = claim_seconds
        self.attempts = attempts
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.deliverers: dict[str, Deliver] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def send(self, chat_key: str) -> None:
        """Make sure the chat's recorded replies are being sent."""
        if chat_key in self.tasks:
            self._again.add(chat_key)
            return
        self.tasks[chat_key] = asyncio.create_task(self._send(chat_key))

    async def _claim(self, chat_key: str, sent: list[uuid.UUID]) -> inbox.UnsentReply | None:
        async with UnitOfWork(self.session_factory) as uow:
            await uow.single_statement()
            return await inbox.claim_next(
                uow.session, chat_key, sent=sent, lease_seconds=self.claim_seconds
            )

    async def _send(self, chat_key: str) -> None:
        deliver = self.deliverers[platform_of(chat_key)]
        sent: list[uuid.UUID] = []  # sent (or given up), to be marked with the next claim
        try:
            while True:
                self._again.discard(chat_key)
                try:
                    row = await self._claim(chat_key, sent)
                except Exception as error:
                    log.warning("could not read replies to send (%s)", type(error).__name__)
                    await asyncio.sleep(self.retry_seconds)
                    continue
                sent = []
                if row is None:  # none left, or another sender (process) holds the chat's head
                    if chat_key in self._again:
                        continue
                    return  # no await since the check: a later send() starts a new task
                async with self._claim_renewed(row.id):
                    await self._send_one(deliver, row)
                sent = [row.id]
        finally:
            if self.tasks.get(chat_key) is asyncio.current_task():
                del self.tasks[chat_key]

    @contextlib.asynccontextmanager
    async def _claim_renewed(self, reply_id: uuid.UUID) -> AsyncIterator[None]:
        renewing = asyncio.create_task(self._renew(reply_id))
        try:
            yield
        finally:
            renewing.cancel()

    async def _renew(self, reply_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(self.claim_seconds / 3)
            try:
                async with UnitOfWork(self.session_factory) as uow:
                    await uow.single_statement()
                    await inbox.extend_claim(uow.session, reply_id, self.claim_seconds)
            except Exception as error:  # the next renewal tries again; see the README
                log.warning("could not renew the claim on reply %s (%s)", reply_id,
                            type(error).__name__)  # fmt: skip

    async def _send_one(self, deliver: Deliver, row: inbox.UnsentReply) -> None:
        pause = self.retry_seconds
        for attempt in range(self.attempts):
            try:
                await deliver(row.route, outgoing.decode(row.reply))
                return
            except Undeliverable:
                log.warning("reply %s refused by the platform; not sent", row.id)
                return
            except Exception as error:
                if attempt == self.attempts - 1:
                    log.error("reply %s not sent after %d attempts", row.id, attempt + 1)
                    return
                log.warning("sending reply %s failed (%s); retrying", row.id, type(error).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_retry_seconds)
