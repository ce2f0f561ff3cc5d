"""Serve's path from a stored event to a sent reply: inbox in, turns in order, outbox out.

A webhook stores the event (`accept`) and only then acknowledges it. Each conversation with
unanswered events gets one worker task, which takes them in id order, each under the
conversation's lock and only then in a slot, so neither a busy conversation nor a lock wait
holds a slot. A turn records its replies unsent; each chat has one sender task that sends them
in order at the chat's pace and marks them sent, outside any slot. A sweep picks up what a dead
process left: unanswered events, unsent replies whose claim ran out. Answered events and sent
replies are pruned after the platforms' redelivery window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import outgoing
from bot.events import Reply
from bot.slots import Slots
from core import inbox
from core.inbox import StoredEvent
from core.ports.coordination import ConversationLocks
from core.uow import UnitOfWork

log = logging.getLogger(__name__)

# Runs one stored event as its platform does; returns the chats it recorded replies for.
Runner = Callable[[StoredEvent], Awaitable[set[str]]]
# Sends one recorded reply; raises Undeliverable when trying again cannot help.
Deliver = Callable[[dict[str, Any], Reply], Awaitable[None]]


class Undeliverable(Exception):
    """The platform refuses this reply for good (blocked bot, unknown chat): do not retry."""


@dataclass(frozen=True)
class PipelineSettings:
    """Timings of the pipeline (short in tests)."""

    sweep_seconds: float = 2.0
    # How long a sender owns the replies it took (a few at a time): after a crash another
    # sender takes them up this much later.
    send_claim_seconds: float = 10.0
    send_batch: int = 3
    retry_seconds: float = 1.0
    max_retry_seconds: float = 10.0
    max_attempts: int = 5  # runs of one event before it is given up (a poison event)
    send_attempts: int = 8
    retention_seconds: float = 48 * 3600.0  # Telegram redelivers for up to 24 hours
    prune_every_seconds: float = 600.0


def platform_of(key: str) -> str:
    """The platform prefix of a conversation or chat key (`TELEGRAM:…`)."""
    return key.split(":", 1)[0]


class Pipeline:
    """The inbox workers, the per-chat senders and the sweep of one serve process."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        locks: ConversationLocks,
        slots: Slots | None,
        settings: PipelineSettings | None = None,
        ack_session_factory: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.session_factory = session_factory
        # Acknowledgements store through a pool of their own, so they never queue behind
        # the turns' database work for a connection.
        self.ack_session_factory = ack_session_factory or session_factory
        self.locks = locks
        self.slots = slots
        self.settings = settings or PipelineSettings()
        self._runners: dict[str, Runner] = {}
        self._deliverers: dict[str, Deliver] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        # Failed runs of events still unanswered (a few at a time: entries go once answered).
        self._failures: dict[str, int] = {}
        self._send_again: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    def register(self, platform: str, run: Runner, deliver: Deliver) -> None:
        """How `platform`'s events are run and its replies sent."""
        self._runners[platform] = run
        self._deliverers[platform] = deliver

    @property
    def turns_in_flight(self) -> int:
        """Conversations with a worker now."""
        return len(self._workers)

    async def accept(self, *, event_key: str, conversation_key: str, payload: Any) -> bool:
        """Store an event, then have it answered; raises when it could not be stored.

        False for a redelivery of a stored event (acknowledge it again; it is answered once).
        """
        async with UnitOfWork(self.ack_session_factory) as uow:
            await uow.single_statement()
            fresh = await inbox.store(
                uow.session,
                event_key=event_key,
                conversation_key=conversation_key,
                payload=payload,
            )
            await uow.commit()
        self.wake(conversation_key)
        return fresh

    def wake(self, conversation_key: str) -> None:
        """Make sure the conversation's stored events are being worked on."""
        if self._closing:
            return
        if conversation_key in self._workers:
            self._again.add(conversation_key)
            return
        task = asyncio.create_task(self._work(conversation_key))
        self._workers[conversation_key] = task
        task.add_done_callback(lambda _: self._workers.pop(conversation_key, None))

    def send(self, chat_key: str) -> None:
        """Make sure the chat's recorded replies are being sent."""
        if chat_key in self._senders:
            self._send_again.add(chat_key)
            return
        task = asyncio.create_task(self._send(chat_key))
        self._senders[chat_key] = task
        task.add_done_callback(lambda _: self._senders.pop(chat_key, None))

    async def _next(self, key: str) -> StoredEvent | None:
        async with UnitOfWork(self.session_factory) as uow:
            await uow.single_statement()
            return await inbox.next_unanswered(uow.session, key)

    async def _work(self, key: str) -> None:
        pause = self.settings.retry_seconds
        while True:  # also while draining: the grace period is for answering
            self._again.discard(key)
            try:
                if not await self._turn(key):
                    if key in self._again:
                        continue
                    return
                pause = self.settings.retry_seconds
            except Exception as error:
                # Postgres or Redis away, or a turn that failed: the event stays unanswered
                # and is run again (its stored steps are not repeated).
                log.warning("turn of a conversation failed (%s); retrying", type(error).__name__)
                if not isinstance(error, SQLAlchemyError | OSError | ConnectionError):
                    log.debug("turn failure", exc_info=True)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.settings.max_retry_seconds)

    async def _turn(self, key: str) -> bool:
        """Run the conversation's oldest unanswered event; False when there is none."""
        async with self.locks.hold(key):
            event = await self._next(key)
            if event is None:
                return False
            failures = self._failures.get(event.event_key, 0)
            if max(event.attempts, failures) >= self.settings.max_attempts:
                log.error("giving up event %s after %d runs", event.event_key, failures)
                await self._give_up(event)
                return True
            run = self._runners[platform_of(key)]
            self._failures[event.event_key] = failures + 1
            async with self.slots.held() if self.slots else contextlib.nullcontext():
                chats = await run(event)
            self._failures.pop(event.event_key, None)
        for chat in chats:
            self.send(chat)
        return True

    async def _give_up(self, event: StoredEvent) -> None:
        async with UnitOfWork(self.session_factory) as uow:
            await inbox.answer(uow.session, event.event_key)
            await uow.commit()

    async def _send(self, chat_key: str) -> None:
        deliver = self._deliverers[platform_of(chat_key)]
        while True:
            self._send_again.discard(chat_key)
            try:
                async with UnitOfWork(self.session_factory) as uow:
                    rows = await inbox.claim_unsent(
                        uow.session,
                        chat_key,
                        lease_seconds=self.settings.send_claim_seconds,
                        limit=self.settings.send_batch,
                    )
                    await uow.commit()
            except Exception as error:
                log.warning("could not read replies to send (%s)", type(error).__name__)
                await asyncio.sleep(self.settings.retry_seconds)
                continue
            if not rows:
                if chat_key in self._send_again:
                    continue
                return
            for row in rows:
                await self._send_one(deliver, row)

    async def _send_one(self, deliver: Deliver, row: inbox.UnsentReply) -> None:
        pause = self.settings.retry_seconds
        for attempt in range(self.settings.send_attempts):
            try:
                await deliver(row.route, outgoing.decode(row.reply))
                break
            except Undeliverable:
                log.warning("reply %s refused by the platform; not sent", row.id)
                break
            except Exception as error:
                if attempt == self.settings.send_attempts - 1:
                    log.error("reply %s not sent after %d attempts", row.id, attempt + 1)
                    break
                log.warning("sending reply %s failed (%s); retrying", row.id, type(error).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.settings.max_retry_seconds)
        while True:  # sent (or given up): marked, or a restart sends it again
            try:
                async with UnitOfWork(self.session_factory) as uow:
                    await inbox.mark_sent(uow.session, row.id)
                    await uow.commit()
                return
            except Exception as error:
                log.warning("could not mark reply %s sent (%s)", row.id, type(error).__name__)
                await asyncio.sleep(self.settings.retry_seconds)

    async def idle(self) -> None:
        """Wait until no turn runs and no reply waits to be sent here (tests, benches)."""
        while self._workers or self._senders:
            await asyncio.wait({*self._workers.values(), *self._senders.values()})

    def start(self) -> None:
        """Start the sweep (at once: a restart answers what the last run left)."""
        self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        first, pruned = True, 0.0
        loop = asyncio.get_running_loop()
        while not self._closing:
            age = 0.0 if first else self.settings.sweep_seconds
            try:
                async with UnitOfWork(self.session_factory) as uow:
                    await uow.single_statement()
                    # Only the platforms this process serves (see core/inbox.py).
                    waiting = await inbox.waiting_conversations(
                        uow.session, platforms=list(self._runners), older_than_seconds=age
                    )
                    unsent = await inbox.chats_with_unsent(
                        uow.session, platforms=list(self._deliverers), older_than_seconds=age
                    )
                for key in waiting:
                    self.wake(key)
                for chat in unsent:
                    self.send(chat)
                if loop.time() - pruned > self.settings.prune_every_seconds:
                    await self._prune()
                    pruned = loop.time()
                first = False
            except Exception as error:
                log.warning("inbox sweep failed (%s)", type(error).__name__)
            await asyncio.sleep(self.settings.sweep_seconds)

    async def _prune(self) -> None:
        async with UnitOfWork(self.session_factory) as uow:
            gone = await inbox.prune(
                uow.session, older_than_seconds=self.settings.retention_seconds
            )
            await uow.commit()
        if gone:
            log.info("pruned %d answered events and sent replies", gone)

    async def drain(self, grace_seconds: float = 30.0) -> None:
        """Finish the turns and sends in flight (up to `grace_seconds`), then stop the rest.

        What is stopped stays unanswered or unsent and is taken up by the next start.
        """
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        while (self._workers or self._senders) and loop.time() < deadline:
            pending = {*self._workers.values(), *self._senders.values()}
            await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
        for task in [*self._workers.values(), *self._senders.values()]:
            task.cancel()
        rest = [*self._workers.values(), *self._senders.values()]
        if rest:
            await asyncio.wait(rest, timeout=2.0)
