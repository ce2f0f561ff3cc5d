"""Outgoing pace: about one message a second per chat, 20 a minute per group, 30 a second overall.

A platform's 429 is raised by the sender as RateLimited(retry_after); the pacer waits it out
and sends again, so a reply is delayed but never dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class RateLimited(Exception):
    """The platform said "too many requests"; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


class _Window:
    """At most `limit` events in any `period` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.times: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        return 0.0 if len(self.times) < self.limit else self.period - (now - self.times[0])


class Pacer:
    """Serialises sends per chat and spaces them out within the platform's limits."""

    def __init__(
        self,
        *,
        per_chat_seconds: float = 1.0,
        group_per_minute: int = 20,
        global_per_second: int = 30,
        max_attempts: int = 10,
    ) -> None:
        self._per_chat = per_chat_seconds
        self._group_per_minute = group_per_minute
        self._global = _Window(global_per_second, 1.0)
        self._groups: dict[str, _Window] = {}
        self._last: dict[str, float] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._global_lock = asyncio.Lock()
        self._max_attempts = max_attempts

    async def _slot(self, chat: str, group: bool) -> None:
        while True:
            now = time.monotonic()
            waits = [self._last.get(chat, -1e9) + self._per_chat - now]
            if group:
                window = self._groups.setdefault(chat, _Window(self._group_per_minute, 60.0))
                waits.append(window.wait_needed(now))
            async with self._global_lock:
                waits.append(self._global.wait_needed(now))
                delay = max(waits)
                if delay <= 0:
                    self._global.times.append(now)
                    if group:
                        self._groups[chat].times.append(now)
                    self._last[chat] = now
                    return
            await asyncio.sleep(delay)

    async def send(self, chat: str, send: Callable[[], Awaitable[T]], *, group: bool = False) -> T:
        """Send through `send()` in this chat's turn; wait out RateLimited and try again."""
        async with self._locks[chat]:
            for attempt in range(self._max_attempts):
                await self._slot(chat, group)
                try:
                    return await send()
                except RateLimited as limited:
                    if attempt == self._max_attempts - 1:
                        raise
                    await asyncio.sleep(limited.retry_after)
            raise AssertionError("unreachable")
