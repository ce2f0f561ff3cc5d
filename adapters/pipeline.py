"""Serve's path from a stored event to a sent reply: inbox in, turns in order, outbox out.

A webhook stores the event (`accept`) and only then acknowledges it. Each conversation with
unanswered events gets one worker task (adapters/conversation_workers.py), which runs its
waiting events in order under the conversation's lock. A turn records its replies unsent; each
chat's sender (adapters/sending.py) sends them in order at the chat's pace, outside any slot.
A sweep picks up what a dead process left: unanswered events, unsent replies whose claim ran
out. Answered events and sent replies are pruned after the platforms' redelivery window.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.conversation_workers import ConversationWorkers, GiveUp, Runner
from adapters.pipeline_settings import PipelineSettings
from adapters.sending import Deliver, Senders, Undeliverable
from bot.slots import Slots
from core import inbox
from core.ports.coordination import ConversationLocks
from core.uow import UnitOfWork

__all__ = ["Deliver", "Pipeline", "Undeliverable"]

log = logging.getLogger(__name__)


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
        self.senders = Senders(
            session_factory,
            claim_seconds=self.settings.send_claim_seconds,
            attempts=self.settings.send_attempts,
            retry_seconds=self.settings.retry_seconds,
            max_retry_seconds=self.settings.max_retry_seconds,
        )
        self.workers = ConversationWorkers(
            session_factory=session_factory,
            locks=locks,
            slots=slots,
            settings=self.settings,
            send=self.senders.send,
        )
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    def register(
        self, platform: str, run: Runner, deliver: Deliver, give_up: GiveUp | None = None
    ) -> None:
        """How `platform`'s events are run, its replies sent and a failing event given up."""
        self.workers.runners[platform] = run
        self.senders.deliverers[platform] = deliver
        if give_up is not None:
            self.workers.give_ups[platform] = give_up

    @property
    def turns_in_flight(self) -> int:
        """Conversations with a worker now."""
        return len(self._workers)

    @property
    def _workers(self) -> dict[str, asyncio.Task[None]]:
        return self.workers.tasks

    @property
    def _senders(self) -> dict[str, asyncio.Task[None]]:
        return self.senders.tasks

    async def accept(self, *, event_key: str, conversation_key: str, payload: Any) -> bool:
        """Store an event, then have it answered; raises when it could not be stored.

        False for a redelivery of a stored event (acknowledge it again; it is answered once).
        """
        async with UnitOfWork(self.ack_session_factory) as uow:
            fresh = await inbox.store_event(
                uow, event_key=event_key, conversation_key=conversation_key, payload=payload
            )
        self.wake(conversation_key)
        return fresh

    def wake(self, conversation_key: str) -> None:
        """Make sure the conversation's stored events are being worked on."""
        if self._closing:
            return
        self.workers.wake(conversation_key)

    def send(self, chat_key: str) -> None:
        """Make sure the chat's recorded replies are being sent."""
        self.senders.send(chat_key)

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
                        uow.session, platforms=list(self.workers.runners), older_than_seconds=age
                    )
                    unsent = await inbox.chats_with_unsent(
                        uow.session, platforms=list(self.senders.deliverers), older_than_seconds=age
                    )
                for key in waiting:
                    # One at work here reads again only when told of a new event: an event
                    # this old with a worker is the one it runs now (a model call past 2 s).
                    if key not in self._workers:
                        self.wake(key)
                for chat in unsent:
                    if chat not in self.senders.tasks:  # one at work here goes on by itself
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

    async def drain(self, grace_seconds: float | None = None) -> None:
        """Finish the turns and sends in flight (up to `grace_seconds`, by default the
        settings'), then stop the rest.

        What is stopped stays unanswered or unsent and is taken up by the next start.
        """
        if grace_seconds is None:
            grace_seconds = self.settings.drain_grace_seconds
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
