"""The hot path's driver pool: bounded, LIFO reuse, FIFO waiters, broken connections dropped."""

from __future__ import annotations

import asyncio

import pytest

from core.driver_pool import DriverPool


class FakeConnection:
    """What the pool uses of an asyncpg connection."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False

    def is_closed(self) -> bool:
        return self.closed

    def terminate(self) -> None:
        self.closed = True

    async def close(self) -> None:
        self.closed = True


def _pool(size: int, **kwargs: float) -> tuple[DriverPool, list[FakeConnection]]:
    made: list[FakeConnection] = []

    async def connect() -> FakeConnection:
        made.append(FakeConnection(len(made) + 1))
        return made[-1]

    return DriverPool(connect, size=size, **kwargs), made


async def test_reuses_the_connection_given_back() -> None:
    pool, made = _pool(2)
    first = await pool.acquire()
    await pool.release(first)
    assert await pool.acquire() is first
    assert pool.opened == 1 and len(made) == 1


async def test_never_more_than_size_and_waiters_served_in_order() -> None:
    pool, made = _pool(1)
    held = await pool.acquire()
    order: list[int] = []

    async def wait(n: int) -> None:
        connection = await pool.acquire()
        order.append(n)
        await asyncio.sleep(0)
        await pool.release(connection)

    waiters = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0.01)
    assert order == [] and len(made) == 1
    await pool.release(held)
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2] and len(made) == 1


async def test_a_discarded_connection_is_closed_and_its_place_reused() -> None:
    pool, made = _pool(1)
    held = await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    await pool.release(held, discard=True)
    fresh = await waiter
    assert held.closed and fresh is not held and len(made) == 2


async def test_a_closed_or_old_connection_is_not_handed_out() -> None:
    pool, _made = _pool(2, recycle_seconds=0.0)
    first = await pool.acquire()
    await pool.release(first)  # older than the recycle age at once: closed
    assert first.closed
    second = await pool.acquire()
    assert second is not first


async def test_a_cancelled_waiter_loses_no_connection() -> None:
    pool, _made = _pool(1)
    held = await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    await pool.release(held)  # handed to the waiter...
    waiter.cancel()  # ...which is cancelled before it runs: the connection goes back
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await pool.acquire() is held


async def test_a_waiter_times_out() -> None:
    pool, _made = _pool(1, timeout_seconds=0.05)
    await pool.acquire()
    with pytest.raises(TimeoutError):
        await pool.acquire()


async def test_a_failed_connect_frees_its_place() -> None:
    calls = 0

    async def connect() -> FakeConnection:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("refused")
        return FakeConnection(calls)

    pool = DriverPool(connect, size=1)
    with pytest.raises(OSError):
        await pool.acquire()
    assert (await pool.acquire()).number == 2
