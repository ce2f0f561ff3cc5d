"""Acks before turns: serve's turn slots shrink while the event loop runs late, never to zero."""

from __future__ import annotations

import asyncio
import time

from adapters.loop_lag import governed
from bot.slots import Slots


async def _at_once(slots: Slots, turns: int, busy_seconds: float) -> list[int]:
    """Run `turns` turns that each block the loop `busy_seconds`: how many held slots as each
    began, in the order they began."""
    working, seen = 0, []

    async def turn() -> None:
        nonlocal working
        async with slots.held():
            working += 1
            seen.append(working)
            ends = time.perf_counter() + busy_seconds
            while time.perf_counter() < ends:  # CPU work: the loop runs late meanwhile
                pass
            await asyncio.sleep(0)
            working -= 1

    await asyncio.gather(*(turn() for _ in range(turns)))
    return seen


async def test_withholding_keeps_at_least_one_slot_and_restore_gives_them_back() -> None:
    slots = Slots(3)
    for _ in range(5):
        slots.withhold()
    assert slots.withheld == 2, "the last slot always stays for turns"
    async with slots.held():  # one turn still runs
        pass
    slots.restore()
    slots.restore()
    slots.restore()  # no more withheld: nothing happens
    assert slots.withheld == 0
    held = [slots.held() for _ in range(3)]
    for manager in held:
        await manager.__aenter__()  # all three are turns' again
    for manager in held:
        await manager.__aexit__(None, None, None)


async def _all_restored(slots: Slots, within: float = 3.0) -> bool:
    # Polled: on a shared machine the loop can run late for a moment from other processes.
    for _ in range(int(within / 0.05)):
        if slots.withheld == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_late_loop_runs_fewer_turns_at_once_and_an_idle_one_gets_them_back() -> None:
    slots = Slots(8)
    async with governed(slots):
        assert await _all_restored(slots), "an idle loop withholds nothing"
        # Every turn blocks the loop 20 ms: the loop runs late, and slots are withheld.
        seen = await _at_once(slots, 40, 0.02)
        assert max(seen[:8]) == 8, "all eight slots were the turns' at first"
        assert 1 <= max(seen[20:]) < 8, seen
        assert await _all_restored(slots), "an idle loop gets every slot back"
    assert slots.withheld == 0
