"""A bound on the turns a process works on at once, with the wait for the model outside it.

Unbounded, a burst above what a process can answer put hundreds of turns on its event loop
together, and every webhook acknowledgement waited behind all of their steps (bench-http: ack
p99 137 ms at 178 requests/s). Whoever runs a turn holds a slot for it only once it holds the
conversation's lock (serve's inbox worker), and the engine gives the slot back while the model
is thinking, so neither a lock wait nor a slow AI idles a slot.

A turn also has one deadline for all its model calls (retries included), and while a model
call runs long the turn's runner is told, every few seconds, so the user sees it is working.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from core.ports.ai import AIProvider, AIUnavailable, AnalysisReply, ChatMessage, InterviewStep

T = TypeVar("T")
log = logging.getLogger(__name__)

# Called with the number of times it was called before, while a model call runs long.
StillWorking = Callable[[int], Awaitable[None]]
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)
_STILL_WORKING: contextvars.ContextVar[StillWorking | None] = contextvars.ContextVar(
    "still_working", default=None
)
FIRST_SIGN_SECONDS = 3.0  # a model call longer than this is shown as "working"
SIGN_EVERY_SECONDS = 4.5  # Telegram's typing action lasts about 5 s


@contextlib.contextmanager
def turn_deadline(seconds: float) -> Iterator[None]:
    """Every model call inside the block ends by `seconds` from now (an outer one stays)."""
    if _DEADLINE.get() is not None:
        yield
        return
    token = _DEADLINE.set(asyncio.get_running_loop().time() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextlib.contextmanager
def still_working(signal: StillWorking) -> Iterator[None]:
    """Within the block, long model calls call `signal` every few seconds."""
    token = _STILL_WORKING.set(signal)
    try:
        yield
    finally:
        _STILL_WORKING.reset(token)


async def _signal_while(signal: StillWorking) -> None:
    await asyncio.sleep(FIRST_SIGN_SECONDS)
    count = 0
    while True:
        try:
            await signal(count)
        except Exception as error:  # a cosmetic sign: its failure must not touch the turn
            log.warning("could not show that the bot is still working (%s)", type(error).__name__)
        count += 1
        await asyncio.sleep(SIGN_EVERY_SECONDS)


async def within_turn(call: Awaitable[T]) -> T:
    """Await a model call within the turn's deadline, showing the user it works when long."""
    signal = _STILL_WORKING.get()
    signs = asyncio.create_task(_signal_while(signal)) if signal is not None else None
    deadline = _DEADLINE.get()
    try:
        async with asyncio.timeout_at(deadline):
            return await call
    except TimeoutError as error:
        raise AIUnavailable("the turn's deadline passed during the model call") from error
    finally:
        if signs is not None:
            signs.cancel()


class _Holding:
    """Whether the current turn holds its slot now."""

    def __init__(self) -> None:
        self.now = True


_HOLDING: contextvars.ContextVar[_Holding | None] = contextvars.ContextVar("slot", default=None)


class Slots:
    """At most `limit` turns at work at once (fewer while some are withheld); the rest wait in
    order."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self.waiting = 0
        self.withheld = 0  # slots kept from turns for now (see `withhold`)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def withhold(self) -> None:
        """Keep one more slot from turns until `restore`, at once (before any waiting turn).

        For a process whose event loop is too busy to answer its webhooks promptly: fewer turns
        at once, the same turns in the end. At least one slot always stays for turns; turns
        holding slots keep them (only new holders wait).
        """
        if self.withheld + 1 < self.limit:
            self.withheld += 1

    def restore(self) -> None:
        """Give one withheld slot back to turns (a no-op when none is withheld)."""
        if self.withheld:
            self.withheld -= 1
            self._wake()

    def _wake(self) -> None:
        """Hand free slots to the longest waiting turns."""
        while self._waiters and self.in_use < self.limit - self.withheld:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_use += 1  # the waiter's now, before it runs
                waiter.set_result(None)

    def _give(self) -> None:
        self.in_use -= 1
        self._wake()

    async def _take(self) -> None:
        if not self._waiters and self.in_use < self.limit - self.withheld:
            self.in_use += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self.waiting += 1
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._give()  # handed a slot as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        finally:
            self.waiting -= 1

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold a slot for one turn."""
        await self._take()
        holding = _Holding()
        token = _HOLDING.set(holding)
        try:
            yield
        finally:
            _HOLDING.reset(token)
            if holding.now:
                self._give()

    @asynccontextmanager
    async def given_back(self) -> AsyncIterator[None]:
        """Give the current turn's slot back for a while (a no-op outside `held`)."""
        holding = _HOLDING.get()
        if holding is None or not holding.now:
            yield
            return
        holding.now = False
        self._give()
        try:
            yield
        finally:
            await self._take()  # if cancelled here, `held` has nothing to give back
            holding.now = True


class AIOutsideSlots:
    """An AIProvider whose calls give the turn's slot back while the model answers.

    Its calls also keep the turn's deadline and show long calls as work in progress.
    """

    def __init__(self, inner: AIProvider, slots: Slots | None = None) -> None:
        self._inner = inner
        self._slots = slots

    @property
    def name(self) -> str:
        """The wrapped model's name."""
        return self._inner.name

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """The wrapped provider's next question, asked without a slot."""
        call = self._inner.next_question(messages, language=language, may_finish=may_finish)
        if self._slots is None:
            return await within_turn(call)
        async with self._slots.given_back():
            return await within_turn(call)

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """The wrapped provider's analysis, produced without a slot."""
        call = self._inner.produce_analysis(messages, language=language)
        if self._slots is None:
            return await within_turn(call)
        async with self._slots.given_back():
            return await within_turn(call)
