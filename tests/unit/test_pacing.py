"""Outgoing pace: spaced per chat, chats independent, group and global limits, 429s waited out."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import pytest

from adapters import pacing
from adapters.pacing import Pacer, RateLimited


class VirtualClock:
    """Monotonic time that moves only when the pacer sleeps, so minute-long limits run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        """The virtual time."""
        return self.now

    async def sleep(self, delay: float) -> None:
        """Jump the clock forward instead of waiting; still yield to the other tasks."""
        self.now += max(delay, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """The pacer module on virtual time (sends in one chat only: one sleeper at a time)."""
    virtual = VirtualClock()
    monkeypatch.setattr(pacing, "time", virtual)
    monkeypatch.setattr(pacing, "asyncio", SimpleNamespace(Lock=asyncio.Lock, sleep=virtual.sleep))
    return virtual


class Outbox:
    """A fake platform: records what was sent, in which chat, at what (monotonic) time."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.sent: list[tuple[str, int, float]] = []
        self._now = now

    def sender(self, chat: str, number: int) -> Callable[[], Awaitable[int]]:
        """A `send()` for `Pacer.send` delivering message `number` to `chat`."""

        async def send() -> int:
            self.sent.append((chat, number, self._now()))
            return number

        return send

    def times(self, chat: str) -> list[float]:
        """When each message to `chat` left."""
        return [at for to, _, at in self.sent if to == chat]

    def numbers(self, chat: str) -> list[int]:
        """The messages to `chat`, in the order they left."""
        return [number for to, number, _ in self.sent if to == chat]


def gaps(times: list[float]) -> list[float]:
    """The time between consecutive sends."""
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_ten_sends_to_one_chat_leave_spaced_out_and_in_order() -> None:
    pacer, outbox = Pacer(per_chat_seconds=0.2), Outbox()
    results = await asyncio.gather(
        *(pacer.send("chat-1", outbox.sender("chat-1", n)) for n in range(10))
    )
    assert results == list(range(10))
    assert outbox.numbers("chat-1") == list(range(10))
    spacing = gaps(outbox.times("chat-1"))
    assert min(spacing) >= 0.19, spacing
    assert outbox.times("chat-1")[-1] - outbox.times("chat-1")[0] < 9 * 0.2 + 0.5


async def test_by_default_one_chat_gets_about_one_message_a_second(clock: VirtualClock) -> None:
    pacer, outbox = Pacer(), Outbox(clock.monotonic)
    await asyncio.gather(*(pacer.send("c", outbox.sender("c", n)) for n in range(5)))
    assert gaps(outbox.times("c")) == pytest.approx([1.0] * 4)


async def test_different_chats_do_not_wait_for_each_other() -> None:
    pacer, outbox = Pacer(per_chat_seconds=0.5), Outbox()
    chats = [f"chat-{i}" for i in range(10)]
    started = time.monotonic()
    await asyncio.gather(*(pacer.send(c, outbox.sender(c, 1)) for c in chats))
    assert time.monotonic() - started < 0.2
    assert sorted(to for to, _, _ in outbox.sent) == sorted(chats)


async def test_a_busy_chat_does_not_hold_up_a_quiet_one() -> None:
    pacer, outbox = Pacer(per_chat_seconds=0.2), Outbox()
    started = time.monotonic()
    busy = [pacer.send("busy", outbox.sender("busy", n)) for n in range(5)]
    await asyncio.gather(*busy, pacer.send("quiet", outbox.sender("quiet", 1)))
    assert outbox.times("quiet")[0] - started < 0.1
    assert outbox.times("busy")[-1] - started >= 0.75


async def test_a_group_gets_at_most_twenty_messages_a_minute(clock: VirtualClock) -> None:
    pacer, outbox = Pacer(), Outbox(clock.monotonic)
    sends = [pacer.send("group", outbox.sender("group", n), group=True) for n in range(25)]
    await asyncio.gather(*sends)
    times = [at - outbox.times("group")[0] for at in outbox.times("group")]
    assert times[:20] == pytest.approx(list(range(20)))  # one a second until the 20th
    assert times[20:] == pytest.approx([60.0, 61.0, 62.0, 63.0, 64.0])  # then the window slides
    assert outbox.numbers("group") == list(range(25))


async def test_a_scaled_down_group_limit_holds_back_only_that_group(clock: VirtualClock) -> None:
    pacer, outbox = Pacer(per_chat_seconds=0.0, group_per_minute=3), Outbox(clock.monotonic)
    for n in range(4):
        await pacer.send("group", outbox.sender("group", n), group=True)
    await pacer.send("direct", outbox.sender("direct", 0))
    start = outbox.times("group")[0]
    assert [at - start for at in outbox.times("group")] == pytest.approx([0, 0, 0, 60.0])
    assert outbox.times("direct")[0] - start == pytest.approx(60.0)  # no wait of its own


async def test_the_global_limit_spreads_a_burst_over_chats_into_the_next_second() -> None:
    pacer, outbox = Pacer(per_chat_seconds=0.0, global_per_second=5), Outbox()
    started = time.monotonic()
    await asyncio.gather(*(pacer.send(f"c{i}", outbox.sender(f"c{i}", i)) for i in range(8)))
    offsets = sorted(at - started for _, _, at in outbox.sent)
    assert max(offsets[:5]) < 0.1
    assert min(offsets[5:]) >= 0.99


async def test_the_global_budget_goes_first_come_first_served() -> None:
    # Before, every waiter retried at the same instant and an unlucky chat could lose each
    # round: at 30 sends a second, some replies left 10-14 s late while the median was 3 s.
    pacer, outbox = Pacer(per_chat_seconds=0.0, global_per_second=3), Outbox()
    started = time.monotonic()
    sends = []
    for i in range(9):
        sends.append(asyncio.create_task(pacer.send(f"c{i}", outbox.sender(f"c{i}", i))))
        await asyncio.sleep(0)  # they arrive in this order
    await asyncio.gather(*sends)
    assert [number for _, number, _ in outbox.sent] == list(range(9))
    offsets = [at - started for _, _, at in outbox.sent]
    assert max(offsets[:3]) < 0.1 and 0.99 <= min(offsets[3:6]) and max(offsets[3:6]) < 1.1
    assert 1.98 <= min(offsets[6:])


async def test_rate_limited_once_is_delayed_then_delivered_never_dropped() -> None:
    pacer, attempts, delivered = Pacer(per_chat_seconds=0.2), [], []

    async def flaky() -> str:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RateLimited(retry_after=0.3)
        delivered.append("first")
        return "ok"

    async def second() -> str:
        delivered.append("second")
        return "ok too"

    results = await asyncio.gather(pacer.send("chat", flaky), pacer.send("chat", second))
    assert results == ["ok", "ok too"]
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.3
    assert delivered == ["first", "second"]


async def test_a_chat_still_limited_after_every_attempt_raises_to_the_caller() -> None:
    pacer, calls = Pacer(per_chat_seconds=0.0, max_attempts=3), []

    async def always_limited() -> None:
        calls.append(1)
        raise RateLimited(retry_after=0.01)

    with pytest.raises(RateLimited):
        await pacer.send("chat", always_limited)
    assert len(calls) == 3
