"""One worker per conversation with unanswered events: its turns in order, under its lock.

A worker, holding the conversation's lock, reads its waiting events in one query and runs them
in id order, each in a slot only once the lock is held, so neither a busy conversation nor a
lock wait holds a slot. An event that keeps failing is given up with one failure message to its
sender and an error in the log; a server outage is not counted against the event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.pipeline_settings import PipelineSettings
from adapters.sending import platform_of
from bot.slots import Slots
from core import inbox
from core.inbox import StoredEvent
from core.ports.coordination import ConversationLocks
from core.uow import UnitOfWork

__all__ = ["ConversationWorkers", "GiveUp", "Runner", "outage"]

log = logging.getLogger(__name__)

# Runs one stored event as its platform does: the chats it recorded replies for, or None when
# the event is nothing for the dialogue (it is marked answered, with no reply).
Runner = Callable[[StoredEvent], Awaitable[set[str] | None]]
# Answers an event given up after too many failed runs with one failure message (marking it
# answered): the chats that message was recorded for.
GiveUp = Callable[[StoredEvent], Awaitable[set[str]]]

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


class ConversationWorkers:
    """The inbox workers of one serve process, one task per conversation at work."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        locks: ConversationLocks,
        slots: Slots | None,
        settings: PipelineSettings,
        send: Callable[[str], None],
    ) -> None:
        """`send` has a chat's recorded replies sent (after each turn that recorded some)."""
        self.session_factory = session_factory
        self.locks = locks
        self.slots = slots
        self.settings = settings
        self._send = send
        self.runners: dict[str, Runner] = {}
        self.give_ups: dict[str, GiveUp] = {}
        # The task of each conversation at work.
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        # Failed runs of events still unanswered (a few at a time: entries go once answered).
        self._failures: dict[str, int] = {}
        # A burst far above what the process answers woke a worker per conversation at once,
        # each taking its lock (renewed every few seconds), reading its events and then
        # waiting for a slot: that work grew with the backlog and crowded the event loop the
        # acknowledgements run on (bench-http, ack p99 195 ms at 258/s). Bounded here, the
        # rest wait on a semaphore, holding nothing; a turn waiting on the model holds none.
        self._opening = asyncio.Semaphore(settings.opening)

    def wake(self, conversation_key: str) -> None:
        """Make sure the conversation's stored events are being worked on."""
        if conversation_key in self.tasks:
            self._again.add(conversation_key)
            return
        self.tasks[conversation_key] = asyncio.create_task(self._work(conversation_key))

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
            if self.tasks.get(key) is asyncio.current_task():
                del self.tasks[key]

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
                    self._send(chat)
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
                chats = await self.runners[platform_of(key)](event)
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
        give_up = self.give_ups.get(platform_of(key))
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
