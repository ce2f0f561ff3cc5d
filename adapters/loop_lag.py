"""Acknowledgements before turns: fewer turns at once while serve's event loop runs late.

A webhook is acknowledged from the same event loop the turns run on, and asyncio serves ready
callbacks in turn: with turns' work always ready (a backlog far above what the process can
answer), every step of an acknowledgement waited behind a round of every turn's next step, and
ack p99 grew with the load (bench-http: 195 ms at the engine's full rate). Acks are cheap and
must be fast; turns are durable in the inbox and can wait. So a small task measures how late
the loop wakes it (the time any ready callback waits for its turn) and, while that is over
`HIGH_MS`, withholds one more turn slot (never the last); under `LOW_MS` it gives one back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.slots import Slots

TICK_SECONDS = 0.01
HIGH_MS = 8.0  # an ack takes about three loop rounds: 3 x this stays well under 50 ms
LOW_MS = 2.0


async def _govern(slots: Slots) -> None:
    loop = asyncio.get_running_loop()
    while True:
        expected = loop.time() + TICK_SECONDS
        await asyncio.sleep(TICK_SECONDS)
        late_ms = (loop.time() - expected) * 1000
        if late_ms > HIGH_MS:
            slots.withhold()
        elif late_ms < LOW_MS:
            slots.restore()


@contextlib.asynccontextmanager
async def governed(slots: Slots) -> AsyncIterator[None]:
    """Within the block, `slots` shrink while the loop runs late and grow back after."""
    task = asyncio.create_task(_govern(slots))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        while slots.withheld:
            slots.restore()
