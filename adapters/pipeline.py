"""Serve's path from a stored event to a sent reply: inbox in, turns in order, outbox out.

A webhook stores the event (`accept`) and only then acknowledges it. Each conversation with
unanswered events gets one worker task, which, holding the conversation's lock, reads its
waiting events in one query and runs them in id order, each in a slot only once the lock is
held, so neither a busy conversation nor a lock wait holds a slot. A turn records its replies
unsent; each chat's sender (adapters/sending.py) sends them in order at the chat's pace,
outside any slot. An event that keeps failing is given up with one failure message to its
sender and an error in the log. A sweep picks up what a dead process left: unanswered events,
unsent replies whose claim ran out. Answered events and sent replies are pruned after the
platforms' redelivery window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sending import Deliver, Senders, Undeliverable, platform_of
from bot.slots import Slots
from core import inbox
from core.inbox import StoredEvent
from core.ports.coordination import ConversationLocks
from core.uow import UnitOfWork

__all__ = ["Deliver", "GiveUp", "Pipeline", "PipelineSettings", "Runner", "Undeliverable"]

log = logging.getLogger(__name__)

# Runs one stored event as its platform does: the chats it recorded replies for, or None when
# the event is nothing for the dialogue (it is marked answered, with no reply).
Runner = Callable[[StoredEvent], Awaitable[set[str] | None]]
# Answers an event given up after too many failed runs with one failure message (marking it
# answered): the chats that message was recorded for.
GiveUp = Callable[[StoredEvent], Awaitable[set[str]]]


@dataclass(frozen=True)
class PipelineSettings:
    """Timings of the pipeline (short in tests)."""

    sweep_seconds: float = 2.0
    # How long a sender owns the reply it took (renewed while it sends): after a crash another
    # sender takes it up this much later.
    send_claim_seconds: float = 10.0
    retry_seconds: float = 1.0
    max_retry_seconds: float = 10.0
    max_attempts: int = 5  # runs of one event before it is given up (a poison event)
    send_attempts: int = 8
    retention_seconds: float = 48 * 3600.0  # Telegram redelivers for up to 24 hours
    prune_every_seconds: float = 600.0
    # Events read at once by a conversation's worker, and how long it goes on running them
    # under one hold of the lock (the lock's renewals stop at its maximum hold).
    batch: int = 20
    batch_hold_seconds: float = 15.0
    # How long a shutdown waits for the turns and sends in flight; the rest is taken up by the
    # next start (a chat's replies paced at a platform's rate may need longer than this).
    drain_grace_seconds: float = 30.0
    # Conversations at once between waking and holding a turn slot (taking the lock, reading
    # the waiting events, waiting for the slot); the others wait for this without a lock.
    opening: int = 32


# Postgres or Redis away or too slow: no fault of the event being run, so not counted against it
# (an outage longer than a few retries must not give up every message sent during it).
_OUTAGES = (OSError, ConnectionError, TimeoutError, RedisConnectionError, RedisTimeoutError,
            InterfaceError, OperationalError, PoolTimeout)  # fmt: skip


def outage(error: BaseException) -> bool:
    """True when `error` says a server is away, not that the event cannot be run."""
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    return lost or isinstance(error, _OUTAGES)


class _Opening:
    """One place among the conversations opening at once, given back by `release` or at exit."""

    def __init__(self, places: asyncio.Semaphore) -> None:
        self._places = places
        self._held = False

    async def __aenter__(self) -> _Opening:
        await self._places.acquire()
        self._held = True
        return self

    def release(self) -> None:
        """Give the place back (once)."""
        if self._held:
            self._held = False
            self._places.release()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


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
        self._runners: dict[str, Runner] = {}
        self._give_ups: dict[str, GiveUp] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        # Failed runs of events still unanswered (a few at a time: entries go once answered).
        self._failures: dict[str, int] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        # A burst far above what the process answers woke a worker per conversation at once,
        # each taking its lock (renewed every few seconds), reading its events and then
        # waiting for a slot: that work grew with the backlog and crowded the event loop the
        # acknowledgements run on (bench-http, ack p99 195 ms at 258/s). Bounded here, the
        # rest wait on a semaphore, holding nothing; a turn waiting on the model holds none.
        self._opening = asyncio.Semaphore(self.settings.opening)

    def register(
        self, platform: str, run: Runner, deliver: Deliver, give_up: GiveUp | None = None
    ) -> None:
        """How `platform`'s events are run, its replies sent and a failing event given up."""
        self._runners[platform] = run
        self.senders.deliverers[platform] = deliver
        if give_up is not None:
            self._give_ups[platform] = give_up

    @property
    def turns_in_flight(self) -> int:
        """Conversations with a worker now."""
        return len(self._workers)

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
        if conversation_key in self._workers:
            self._again.add(conversation_key)
            return
        self._workers[conversation_key] = asyncio.create_task(self._work(conversation_key))

    def send(self, chat_key: str) -> None:
        """Make sure the chat's recorded replies are being sent."""
        self.senders.send(chat_key)

    async def _waiting(self, key: str) -> list[StoredEvent]:
        async with UnitOfWork(self.session_factory) as uow:
            await uow.single_statement()
            return await inbox.unanswered(uow.session, key, limit=self.settings.batch)

    async def _work(self, key: str) -> None:
        pause = self.settings.retry_seconds
        try:
            while True:  # also while draining: the grace period is for answering
                self._again.discard(key)
                try:
                    more = await self._turns(key)
                    pause = self.settings.retry_seconds
                except Exception as error:
                    # Postgres or Redis away, or a turn that failed: the event stays unanswered
                    # and is run again (its stored steps are not repeated).
                    log.warning("turn of a conversation failed (%s); retrying",
                                type(error).__name__)  # fmt: skip
                    if not outage(error) and not isinstance(error, SQLAlchemyError):
                        log.debug("turn failure", exc_info=True)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, self.settings.max_retry_seconds)
                    continue
                if not more and key not in self._again:
                    # Every event stored before our read was run; one stored since woke us
                    # (`_again`), and no await lies between this check and the end.
                    return
        finally:
            if self._workers.get(key) is asyncio.current_task():
                del self._workers[key]

    async def _turns(self, key: str) -> bool:
        """Run the conversation's waiting events in order; True when some may be left."""
        loop = asyncio.get_running_loop()
        async with _Opening(self._opening) as opening, self.locks.hold(key):
            held = loop.time()
            events = await self._waiting(key)
            for n, event in enumerate(events):
                if n and loop.time() - held > self.settings.batch_hold_seconds:
                    return True  # the rest under a fresh hold of the lock
                chats = await self._turn(key, event, opening)
                for chat in chats:
                    self.send(chat)
        return len(events) == self.settings.batch

    async def _turn(self, key: str, event: StoredEvent, opening: _Opening) -> set[str]:
        """Run one event (the lock held); the chats it recorded replies for."""
        failures = self._failures.get(event.event_key, 0)
        if max(event.attempts, failures) >= self.settings.max_attempts:
            return await self._give_up(key, event, max(event.attempts, failures))
        self._failures[event.event_key] = failures + 1
        try:
            async with self.slots.held() if self.slots else contextlib.nullcontext():
                opening.release()  # a slot held: the next conversation may open
                chats = await self._runners[platform_of(key)](event)
        except Exception as error:
            if outage(error):
                self._failures[event.event_key] = failures
            raise
        self._failures.pop(event.event_key, None)
        if chats is None:
            await self._answer_silently(event)
            return set()
        return chats

    async def _give_up(self, key: str, event: StoredEvent, runs: int) -> set[str]:
        """Answer a poison event with one failure message; never silently."""
        # The operator's trace: the event stays in the inbox (answered) until it is pruned.
        log.error("giving up event %s of %s after %d failed runs; its sender is told",
                  event.event_key, key, runs)  # fmt: skip
        self._failures.pop(event.event_key, None)
        give_up = self._give_ups.get(platform_of(key))
        if give_up is not None:
            try:
                return await give_up(event)
            except Exception as error:
                log.error("could not tell the sender of event %s it failed (%s)",
                          event.event_key, type(error).__name__)  # fmt: skip
        await self._answer_silently(event)
        return set()

    async def _answer_silently(self, event: StoredEvent) -> None:
        async with UnitOfWork(self.session_factory) as uow:
            await inbox.answer(uow.session, event.event_key)
            await uow.commit()

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
