"""Cross-process coordination the dialogue needs: per-conversation locks and seen event ids."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class LockTimeout(Exception):
    """The conversation stayed locked by another worker longer than we were willing to wait."""


class ConversationLocks(Protocol):
    """One holder at a time per conversation key, across processes, in arrival order."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Wait for and hold the lock of `key` until the block ends (raises LockTimeout)."""
        ...


class SeenEvents(Protocol):
    """Remembers platform event ids for a while so a redelivery is answered once."""

    async def first_time(self, event_key: str) -> bool:
        """Mark `event_key` seen; True only for the first caller within the TTL."""
        ...
