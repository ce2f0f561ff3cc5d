"""Outgoing pace: about one message a second per chat, 20 a minute per group, 30 a second overall.

A platform's 429 is raised by the sender as RateLimited(retry_after); the pacer waits it out
(at most `max_retry_after` seconds a time) and sends again, so a reply is delayed but never
dropped. Per-chat state is kept for at most `max_chats` chats, the idle ones evicted first.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
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
        max_retry_after: float = 60.0,
        max_chats: int = 10_000,
    ) -> None:
        self._per_chat = per_chat_seconds
        self._group_per_minute = group_per_minute
        self._global = _Window(global_per_second, 1.0)
        self._groups: dict[str, _Window] = {}
        # Least recently sent first, so the idle chats are the first evicted.
        self._last: OrderedDict[str, float] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._global_lock = asyncio.Lock()
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._max_chats = max_chats

    @property
    def chats(self) -> int:
        """Chats whose pace is remembered now."""
        return len(self._last)

    def _evict_idle(self, now: float) -> None:
        """Forget chats that sent nothing for a group window, oldest first, down to the bound."""
        while len(self._last) > self._max_chats:
            chat, at = next(iter(self._last.items()))
            if now - at < 60.0 or chat in self._users:
                return  # everyone left is busy or recent: their pace still matters
            del self._last[chat]
            self._groups.pop(chat, None)

    async def _slot(self, chat: str, group: bool) -> None:
        # The caller holds the chat's lock, so only the global budget can change meanwhile.
        while True:
            now = time.monotonic()
            waits = [self._last.get(chat, -1e9) + self._per_chat - now]
            if group:
                window = self._groups.setdefault(chat, _Window(self._group_per_minute, 60.0))
                waits.append(window.wait_needed(now))
            if max(waits) <= 0:
                break
            await asyncio.sleep(max(waits))
        # The global budget is handed out first come, first served: the head of the queue
        # waits for it holding the lock. (All waiters retrying at once let unlucky ones lose
        # again and again: replies 10-14 s late at 30 sends a second, the median 3 s.)
        async with self._global_lock:
            while True:
                now = time.monotonic()
                delay = self._global.wait_needed(now)
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            self._global.times.append(now)
            if group:
                self._groups[chat].times.append(now)
            self._last[chat] = now
            self._last.move_to_end(chat)
            self._evict_idle(now)

    async def send(self, chat: str, send: Callable[[], Awaitable[T]], *, group: bool = False) -> T:
        """Send through `send()` in this chat's turn; wait out RateLimited and try again."""
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._users[chat] = self._users.get(chat, 0) + 1
        try:
            async with lock:
                for attempt in range(self._max_attempts):
                    await self._slot(chat, group)
                    try:
                        return await send()
                    except RateLimited as limited:
                        if attempt == self._max_attempts - 1:
                            raise
                        await asyncio.sleep(min(limited.retry_after, self._max_retry_after))
                raise AssertionError("unreachable")
        finally:
            self._users[chat] -= 1
            if not self._users[chat]:
                del self._users[chat], self._locks[chat]


class QuietWindow:
    """Lets each key speak at most once per `seconds`; remembers at most `max_keys` keys."""

    def __init__(self, seconds: float = 300.0, max_keys: int = 10_000) -> None:
        self._seconds = seconds
        self._max_keys = max_keys
        self._spoke: OrderedDict[str, float] = OrderedDict()

    def may_speak(self, key: str) -> bool:
        """True (and the window starts) when `key` has not spoken within the window."""
        now = time.monotonic()
        last = self._spoke.get(key)
        if last is not None and now - last < self._seconds:
            return False
        self._spoke[key] = now
        self._spoke.move_to_end(key)
        while len(self._spoke) > self._max_keys:
            self._spoke.popitem(last=False)
        return True
