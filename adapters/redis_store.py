"""Redis-backed coordination: fair (FIFO) per-conversation locks and seen event ids.

The lock's keys and its acquire and release scripts are in adapters/redis_lock_scripts.py.

The owner key's lease is short (10 s) and renewed every third of it while its holder works, up to
`max_hold_seconds` (longer than a turn's deadline): a crashed holder frees its conversation
within seconds, a live one keeps it for as long as its turn may run.

Waiters re-run acquire on wake-up or every `poll_seconds`, which also refreshes their presence,
so a dead waiter stops blocking the queue after `3 * poll_seconds`, and a dead holder after its
lease.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from redis.exceptions import NoScriptError, RedisError

from adapters.redis_lock_scripts import ACQUIRE_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT, Script
from core.ports.coordination import LockTimeout

__all__ = ["RedisLocks", "RedisSeenEvents", "redis_client"]

log = logging.getLogger(__name__)

# BLPOP with timeout 0 blocks forever; never ask for less than this.
_MIN_BLOCK_SECONDS = 0.01
# redis-py's socket_timeout when the client was built without one; a BLPOP longer than the
# socket timeout would fail as a dead connection.
_LIBRARY_SOCKET_TIMEOUT = 5.0


def redis_client(
    url: str, *, connect_timeout: float = 5.0, command_timeout: float = 10.0
) -> redis.asyncio.Redis:
    """An asyncio client for `url` (redis://, rediss:// or unix://) that returns str values.

    Every wait is bounded: connecting, and each command's answer (blocking pops ask for less
    than `command_timeout`, see RedisLocks).
    """
    return redis.asyncio.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=connect_timeout,
        socket_timeout=command_timeout,
    )


@dataclass(frozen=True)
class _LockKeys:
    owner: str
    queue: str
    timeouts: str
    wake_prefix: str


class RedisLocks:
    """ConversationLocks on Redis: one holder per key across processes, waiters served FIFO."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        namespace: str,
        lease_seconds: float = 10.0,
        wait_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        max_blocking_waits: int = 32,
        max_hold_seconds: float = 120.0,
    ) -> None:
        """Set lease, wait and poll times; `max_blocking_waits` caps connections parked in BLPOP.

        The lease is renewed while the lock is held, for at most `max_hold_seconds`.
        """
        if lease_seconds <= 0 or wait_seconds < 0 or poll_seconds <= 0:
            raise ValueError("lease_seconds and poll_seconds must be > 0, wait_seconds >= 0")
        self._client = client
        self._namespace = namespace
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._max_hold = max_hold_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds
        # Long enough that a live waiter blocked in BLPOP refreshes it in time, short enough
        # that a dead one is skipped soon.
        self._presence_ms = max(1, round(poll_seconds * 3000))
        # Each BLPOP pins a pool connection; waiters beyond this sleep-poll instead so a burst
        # cannot exhaust the pool that releases need.
        self._blocking = asyncio.Semaphore(max_blocking_waits)
        socket_timeout = client.connection_pool.connection_kwargs.get(
            "socket_timeout", _LIBRARY_SOCKET_TIMEOUT
        )
        self._max_block = poll_seconds if socket_timeout is None else socket_timeout / 2
        self.round_trips = 0

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait for and hold the lock of `key` until the block ends (raises LockTimeout)."""
        keys = self._keys(key)
        token = uuid.uuid4().hex
        await self._acquire(keys, token, key)
        renewing = _Renewal(self, keys, token, key)
        try:
            yield
        finally:
            renewing.stop()
            # Shielded so a second cancellation cannot leave the key locked until lease expiry.
            released = await asyncio.shield(self._release_quietly(keys, token))
            if released is False:
                log.warning(
                    "Lock %r lease expired before release; another holder may have run", key
                )

    async def _renew(self, keys: _LockKeys, token: str, key: str, until: float) -> None:
        """Keep the lease alive while the holder works, up to `until` (the longest hold).

        Started a third of a lease after the lock was taken (see _Renewal), renewing at once.
        """
        loop = asyncio.get_running_loop()
        every = self._lease_ms / 3000
        while loop.time() < until:
            try:
                self.round_trips += 1
                renewed = await self._client.evalsha(
                    RENEW_SCRIPT.sha, 1, keys.owner, token, self._lease_ms
                )
            except NoScriptError:
                renewed = await self._client.eval(
                    RENEW_SCRIPT.source, 1, keys.owner, token, self._lease_ms
                )
            except RedisError:
                # Redis away: the holder goes on; the lease may lapse, as after a crash.
                log.warning("Could not renew lock %r; retrying", key)
                renewed = True
            if not renewed:
                log.warning("Lock %r was lost before its holder finished", key)
                return
            if loop.time() + every >= until:
                return
            await asyncio.sleep(every)

    async def waiting(self, key: str) -> int:
        """How many waiters are queued for `key` (for metrics and tests)."""
        self.round_trips += 1
        return int(await self._client.zcard(self._keys(key).queue))

    def _keys(self, key: str) -> _LockKeys:
        base = f"{self._namespace}:lock:{{{key}}}"
        return _LockKeys(base, f"{base}:q", f"{base}:t", f"{base}:wake:")

    async def _acquire(self, keys: _LockKeys, token: str, key: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        ticket = 0
        task = asyncio.current_task()
        cancels = task.cancelling() if task else 0
        try:
            while True:
                acquired, pttl, ticket = await self._run(
                    ACQUIRE_SCRIPT, keys, token, self._lease_ms, ticket
                )
                # On 3.11 asyncio.wait_for (redis-py wraps socket writes in it) can swallow a
                # cancel that lands as the write completes; the request count still shows it.
                if task is not None and task.cancelling() > cancels:
                    raise asyncio.CancelledError
                if acquired:
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise LockTimeout(f"lock {key!r} still held after {self._wait:g} s")
                pause = min(remaining, self._poll)
                if pttl > 0:
                    # Wake right after a crashed holder's lease runs out.
                    pause = min(pause, pttl / 1000 + _MIN_BLOCK_SECONDS)
                await self._pause(keys.wake_prefix + token, pause)
        except BaseException:
            await asyncio.shield(self._release_quietly(keys, token))
            raise

    async def _pause(self, wake_key: str, seconds: float) -> None:
        """Sleep up to `seconds`, returning early when a releaser wakes us."""
        seconds = max(min(seconds, self._max_block), _MIN_BLOCK_SECONDS)
        if self._blocking.locked():
            await asyncio.sleep(seconds)
            return
        async with self._blocking:
            self.round_trips += 1
            await self._client.blpop([wake_key], timeout=seconds)

    async def _release_quietly(self, keys: _LockKeys, token: str) -> bool | None:
        """Release (or leave the queue); None when Redis failed, as the lease will clean up."""
        try:
            return bool(await self._run(RELEASE_SCRIPT, keys, token))
        except RedisError:
            log.warning("Could not release lock %s; it frees itself on lease expiry", keys.owner)
            return None

    async def _run(self, script: Script, keys: _LockKeys, token: str, *extra: int) -> Any:
        """One EVALSHA (plus one EVAL the first time a server sees the script)."""
        call = (keys.owner, keys.queue, keys.timeouts, token, keys.wake_prefix, self._presence_ms)
        self.round_trips += 1
        try:
            return await self._client.evalsha(script.sha, 3, *call, *extra)
        except NoScriptError:
            # First use on this server (or after SCRIPT FLUSH): EVAL also caches it.
            self.round_trips += 1
            return await self._client.eval(script.source, 3, *call, *extra)


class _Renewal:
    """A held lock's lease renewal: a timer for the first third of a lease, a task after.

    Most turns end before a third of a lease: they cost a timer, not a task to start and cancel.
    """

    def __init__(self, locks: RedisLocks, keys: _LockKeys, token: str, key: str) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + locks._max_hold
        self._task: asyncio.Task[None] | None = None
        self._timer = loop.call_later(
            locks._lease_ms / 3000, self._start, locks, keys, token, key, until
        )

    def _start(
        self, locks: RedisLocks, keys: _LockKeys, token: str, key: str, until: float
    ) -> None:
        self._task = asyncio.ensure_future(locks._renew(keys, token, key, until))

    def stop(self) -> None:
        """The holder is done: no more renewals."""
        self._timer.cancel()
        if self._task is not None:
            self._task.cancel()


class RedisSeenEvents:
    """SeenEvents on Redis: SET NX EX per event id under the namespace."""

    def __init__(
        self, client: redis.asyncio.Redis, *, namespace: str, ttl_seconds: int = 600
    ) -> None:
        """Remember event ids for `ttl_seconds`."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be > 0")
        self._client = client
        self._namespace = namespace
        self._ttl = ttl_seconds

    async def first_time(self, event_key: str) -> bool:
        """Mark `event_key` seen; True only for the first caller within the TTL."""
        key = f"{self._namespace}:seen:{event_key}"
        return bool(await self._client.set(key, 1, nx=True, ex=self._ttl))
