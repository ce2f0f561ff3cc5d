"""A bound on the turns a process works on at once, with the wait for the model outside it.

Unbounded, a burst above what a process can answer put hundreds of turns on its event loop
together, and every webhook acknowledgement waited behind all of their steps (bench-http: ack
p99 137 ms at 178 requests/s). Whoever runs a turn (serve's TaskTracker) holds a slot for it,
and the engine gives the slot back while the model is thinking, so a slow AI idles no slot.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from core.ports.ai import AIProvider, AnalysisReply, ChatMessage, InterviewStep


class _Holding:
    """Whether the current turn holds its slot now."""

    def __init__(self) -> None:
        self.now = True


_HOLDING: contextvars.ContextVar[_Holding | None] = contextvars.ContextVar("slot", default=None)


class Slots:
    """At most `limit` turns at work at once; the rest wait in order."""

    def __init__(self, limit: int) -> None:
        self._free = asyncio.Semaphore(limit)
        self.waiting = 0

    async def _take(self) -> None:
        self.waiting += 1
        try:
            await self._free.acquire()
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
                self._free.release()

    @asynccontextmanager
    async def given_back(self) -> AsyncIterator[None]:
        """Give the current turn's slot back for a while (a no-op outside `held`)."""
        holding = _HOLDING.get()
        if holding is None or not holding.now:
            yield
            return
        holding.now = False
        self._free.release()
        try:
            yield
        finally:
            await self._take()  # if cancelled here, `held` has nothing to give back
            holding.now = True


class AIOutsideSlots:
    """An AIProvider whose calls give the turn's slot back while the model answers."""

    def __init__(self, inner: AIProvider, slots: Slots) -> None:
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
        async with self._slots.given_back():
            return await self._inner.next_question(
                messages, language=language, may_finish=may_finish
            )

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """The wrapped provider's analysis, produced without a slot."""
        async with self._slots.given_back():
            return await self._inner.produce_analysis(messages, language=language)
