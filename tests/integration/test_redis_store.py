"""Redis locks and seen events against a real server: exclusion, FIFO, crashes, timeouts."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio

from adapters.redis_store import RedisLocks, RedisSeenEvents
from core.ports.coordination import LockTimeout
from tests.redis_fixtures import *  # noqa: F403

ROOT = Path(__file__).resolve().parents[2]

# Run in another process: `pairs` logs start/end pairs under the lock once both children are
# ready; `hold` takes the lock and hangs; `wait` queues behind the holder and hangs.
CHILD = """
import asyncio, os, sys
from adapters.redis_store import RedisLocks, redis_client

async def main(url, ns, mode, lease):
    client = redis_client(url)
    locks = RedisLocks(client, namespace=ns, lease_seconds=float(lease), poll_seconds=0.1)
    if mode == "pairs":
        await client.incr(ns + ":ready")
        while int(await client.get(ns + ":ready")) < 2:
            await asyncio.sleep(0.01)
        for _ in range(6):
            async with locks.hold("shared"):
                await client.rpush(ns + ":log", f"{os.getpid()}:start")
                await asyncio.sleep(0.02)
                await client.rpush(ns + ":log", f"{os.getpid()}:end")
        return
    async with locks.hold("shared"):
        print("held", flush=True)
        await asyncio.sleep(60)

asyncio.run(main(*sys.argv[1:]))
"""


async def child(
    url: str, namespace: str, mode: str, lease: float = 10.0
) -> asyncio.subprocess.Process:
    """Start the CHILD script in a fresh interpreter."""
    argv = [url, namespace, mode, str(lease)]
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Poll `check` until it holds; fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def locks_for(client: redis.asyncio.Redis, namespace: str, **kwargs: float) -> RedisLocks:
    """Locks with short polls so tests notice lapsed leases and dead waiters quickly."""
    kwargs.setdefault("poll_seconds", 0.1)
    return RedisLocks(client, namespace=namespace, **kwargs)  # type: ignore[arg-type]


async def test_second_holder_waits_for_the_first(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    locks = locks_for(redis_client, redis_namespace)
    first_in, first_may_leave = asyncio.Event(), asyncio.Event()
    events: list[str] = []

    async def first() -> None:
        async with locks.hold("c1"):
            events.append("first in")
            first_in.set()
            await first_may_leave.wait()
            events.append("first out")

    async def second() -> None:
        async with locks.hold("c1"):
            events.append("second in")

    one = asyncio.create_task(first())
    await first_in.wait()
    two = asyncio.create_task(second())
    await wait_until(lambda: _waiting(locks, "c1", 1))
    await asyncio.sleep(0.2)
    assert events == ["first in"]
    first_may_leave.set()
    await asyncio.wait_for(asyncio.gather(one, two), 2)
    assert events == ["first in", "first out", "second in"]


async def _waiting(locks: RedisLocks, key: str, count: int) -> bool:
    return await locks.waiting(key) == count


@pytest.mark.parametrize("max_blocking_waits", [32, 3])
async def test_waiters_are_served_in_arrival_order(
    redis_client: redis.asyncio.Redis, redis_namespace: str, max_blocking_waits: int
) -> None:
    # 3 blocking slots makes most waiters take the sleep-polling path.
    locks = locks_for(redis_client, redis_namespace, max_blocking_waits=max_blocking_waits)
    order: list[int] = []

    async def waiter(index: int) -> None:
        async with locks.hold("c1"):
            order.append(index)
            await asyncio.sleep(0.005)

    async with locks.hold("c1"):
        tasks = []
        for index in range(20):
            tasks.append(asyncio.create_task(waiter(index)))
            await wait_until(lambda n=index + 1: _waiting(locks, "c1", n))
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert order == list(range(20))
    assert await locks.waiting("c1") == 0


async def test_processes_never_interleave(
    redis_url: str, redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    procs = [await child(redis_url, redis_namespace, "pairs") for _ in range(2)]
    codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 15)
    assert codes == [0, 0]
    log = await redis_client.lrange(f"{redis_namespace}:log", 0, -1)
    assert len(log) == 24
    pairs = [(log[i], log[i + 1]) for i in range(0, len(log), 2)]
    for start, end in pairs:
        assert start.endswith(":start") and end == start.replace(":start", ":end")
    assert {start.split(":")[0] for start, _ in pairs} == {str(p.pid) for p in procs}


async def test_killed_holder_frees_the_lock_after_its_lease(
    redis_url: str, redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    proc = await child(redis_url, redis_namespace, "hold", lease=0.5)
    try:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 10) == b"held\n"
        held_at = time.monotonic()
        proc.kill()
        await proc.wait()
        locks = locks_for(redis_client, redis_namespace, wait_seconds=5)
        await asyncio.wait_for(_enter_and_leave(locks, "shared"), 5)
        # Freed by the 0.5 s lease running out, long before our 5 s wait would end.
        assert 0.3 < time.monotonic() - held_at < 1.0
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _enter_and_leave(locks: RedisLocks, key: str) -> None:
    async with locks.hold(key):
        pass


async def test_killed_waiter_does_not_block_the_queue(
    redis_url: str, redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    locks = locks_for(redis_client, redis_namespace, wait_seconds=5)
    async with locks.hold("shared"):
        proc = await child(redis_url, redis_namespace, "wait")
        await wait_until(lambda: _waiting(locks, "shared", 1), within=10)
        proc.kill()
        await proc.wait()
        behind = asyncio.create_task(_enter_and_leave(locks, "shared"))
        await wait_until(lambda: _waiting(locks, "shared", 2))
    # The dead head lapses after 3 polls of 0.1 s; then the live waiter gets the lock.
    await asyncio.wait_for(behind, 2)


async def test_a_working_holder_keeps_the_lock_past_its_lease(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    holder = locks_for(redis_client, redis_namespace, lease_seconds=0.3)
    other = locks_for(redis_client, redis_namespace, wait_seconds=0.2)
    async with holder.hold("c2"):
        await asyncio.sleep(1.0)  # three leases long: renewed all along
        with pytest.raises(LockTimeout):
            await _enter_and_leave(other, "c2")
    await _enter_and_leave(other, "c2")


async def test_lapsed_holder_cannot_release_its_successor(
    redis_client: redis.asyncio.Redis, redis_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A hung holder stops renewing at its longest hold; its lease then runs out.
    crashed = locks_for(redis_client, redis_namespace, lease_seconds=0.5, max_hold_seconds=0.1)
    held = crashed.hold("c1")
    await held.__aenter__()  # never left in time, as if its process hung
    successor = locks_for(redis_client, redis_namespace, lease_seconds=30, wait_seconds=5)
    started = time.monotonic()
    async with successor.hold("c1"):
        assert 0.3 < time.monotonic() - started < 1.0
        await held.__aexit__(None, None, None)
        assert "lease expired before release" in caplog.text
        third = locks_for(redis_client, redis_namespace, wait_seconds=0.3)
        with pytest.raises(LockTimeout):
            await _enter_and_leave(third, "c1")


async def test_waiting_too_long_raises_and_leaves_the_queue(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    locks = locks_for(redis_client, redis_namespace)
    impatient = locks_for(redis_client, redis_namespace, wait_seconds=0.3)
    async with locks.hold("c1"):
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            await _enter_and_leave(impatient, "c1")
        assert 0.3 <= time.monotonic() - started < 1.0
        assert await locks.waiting("c1") == 0
    await asyncio.wait_for(_enter_and_leave(impatient, "c1"), 1)


async def test_cancelled_waiter_leaves_the_queue(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    locks = locks_for(redis_client, redis_namespace)
    async with locks.hold("c1"):
        waiter = asyncio.create_task(_enter_and_leave(locks, "c1"))
        await wait_until(lambda: _waiting(locks, "c1", 1))
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert await locks.waiting("c1") == 0
    await asyncio.wait_for(_enter_and_leave(locks, "c1"), 1)


async def test_uncontended_hold_is_two_round_trips(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    locks = RedisLocks(redis_client, namespace=redis_namespace)
    await _enter_and_leave(locks, "warm-up")  # the server may not know the scripts yet
    before = locks.round_trips
    await _enter_and_leave(locks, "c1")
    assert locks.round_trips - before == 2


async def test_namespaces_are_independent(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    ours = locks_for(redis_client, redis_namespace, wait_seconds=0.5)
    theirs = locks_for(redis_client, f"{redis_namespace}:other", wait_seconds=0.5)
    async with ours.hold("c1"), theirs.hold("c1"):
        pass
    seen_ours = RedisSeenEvents(redis_client, namespace=redis_namespace)
    seen_theirs = RedisSeenEvents(redis_client, namespace=f"{redis_namespace}:other")
    assert await seen_ours.first_time("slack:Ev1")
    assert await seen_theirs.first_time("slack:Ev1")
    assert not await seen_ours.first_time("slack:Ev1")


async def test_concurrent_redeliveries_are_first_exactly_once(
    redis_client: redis.asyncio.Redis, redis_namespace: str
) -> None:
    seen = RedisSeenEvents(redis_client, namespace=redis_namespace)
    results = await asyncio.gather(*(seen.first_time("telegram:42") for _ in range(20)))
    assert results.count(True) == 1
    assert await seen.first_time("telegram:43")


async def test_seen_events_expire(redis_client: redis.asyncio.Redis, redis_namespace: str) -> None:
    await RedisSeenEvents(redis_client, namespace=redis_namespace).first_time("a")
    await RedisSeenEvents(redis_client, namespace=redis_namespace, ttl_seconds=30).first_time("b")
    assert 590 < await redis_client.ttl(f"{redis_namespace}:seen:a") <= 600
    assert 0 < await redis_client.ttl(f"{redis_namespace}:seen:b") <= 30
