"""Interleaved measurement: each side runs in short slices, in turn, so outside load falls evenly.

A side is one way of doing an exchange (the engine as the application role, the engine with RLS
bypassed, the fair baseline). At each concurrency every side keeps its own seats across slices;
each slice counts the exchanges done, their own time (the model call excluded) and the CPU
of this run's processes in that slice (see bench/turns/accounting.py).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import asyncpg

from bench.timing import percentile
from bench.turns import accounting
from bench.turns.instruments import TALLY
from bench.turns.seats import Seat, Seats

# CPU groups, in the order the tables print them.
GROUPS = ("bench process", "postgres", "redis", "fake AI")


@dataclass(frozen=True)
class Side:
    """One way of doing an exchange: its name, its connections' application_name, one run."""

    name: str
    application: str
    run: Callable[[Seat], Awaitable[float]]  # one exchange; returns the model call's seconds
    counted: bool = True  # whether TALLY counts its SQL round trips (the engine's instruments)


@dataclass
class Measured:
    """One side at one concurrency, summed over its slices."""

    side: str
    conversations: int
    exchanges: int = 0
    seconds: float = 0.0
    own_ms: list[float] = field(default_factory=list)
    cpu: Counter[str] = field(default_factory=Counter)
    sql: Counter[str] = field(default_factory=Counter)
    redis_round_trips: int = 0
    connects: int = 0  # new database connections the engine's pool opened

    @property
    def rate(self) -> float:
        """Exchanges per second."""
        return self.exchanges / self.seconds if self.seconds else 0.0

    def cpu_ms(self, group: str | None = None) -> float:
        """CPU ms per exchange of one group, or of all of them."""
        used = sum(self.cpu.values()) if group is None else self.cpu[group]
        return used * 1000 / self.exchanges if self.exchanges else 0.0

    def p(self, q: float) -> float:
        """Own time percentile in ms (50: the median)."""
        if not self.own_ms:
            return 0.0
        return statistics.median(self.own_ms) if q == 50 else percentile(self.own_ms, q)

    def per(self, value: float) -> float:
        """`value` per exchange."""
        return value / self.exchanges if self.exchanges else 0.0


class Monitor:
    """Finds each side's processes: its own Postgres backends and the run's helper processes."""

    def __init__(self, conn: asyncpg.Connection, database: str, pids: Mapping[str, int]) -> None:
        """`conn` reads pg_stat_activity; `pids` names Redis and the fake AI processes."""
        self._conn, self._database, self._pids = conn, database, dict(pids)

    async def groups(self, side: Side) -> dict[str, list[int]]:
        """The pids whose CPU counts for `side` now."""
        rows = await self._conn.fetch(accounting.ACTIVITY_SQL)
        backends = accounting.own_backends(rows, {side.application: "postgres"}, self._database)
        return {
            "bench process": [os.getpid()],
            "postgres": backends["postgres"],
            **{name: [pid] for name, pid in self._pids.items()},
        }


async def one_slice(
    monitor: Monitor, side: Side, seats: list[Seat], seconds: float, into: Measured | None
) -> None:
    """`side` on `seats` for `seconds`; added to `into` (None: a warm-up, not counted)."""
    before = accounting.snapshot(await monitor.groups(side))
    TALLY.reset()
    own_ms: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def seat_runs(seat: Seat) -> int:
        done = 0
        while loop.time() < deadline:
            started = time.perf_counter()
            model = await side.run(seat)
            own_ms.append((time.perf_counter() - started - model) * 1000)
            done += 1
        return done

    wall = time.perf_counter()
    done = await asyncio.gather(*(seat_runs(seat) for seat in seats))
    wall = time.perf_counter() - wall
    used = accounting.snapshot(await monitor.groups(side)).since(before)
    if into is None:
        return
    into.exchanges += sum(done)
    into.seconds += wall
    into.own_ms += own_ms
    into.cpu.update(used)
    if side.counted:
        into.sql.update(TALLY.sql)
        into.redis_round_trips += TALLY.redis_calls
        into.connects += TALLY.connects


async def interleaved(
    monitor: Monitor,
    sides: list[Side],
    seats: Seats,
    conversations: int,
    *,
    rounds: int,
    slice_seconds: float,
    warmup_seconds: float,
) -> dict[str, Measured]:
    """Every side at `conversations`, one slice each per round, the order rotating each round."""
    results = {side.name: Measured(side.name, conversations) for side in sides}
    for side in sides:
        await one_slice(monitor, side, seats.of(side.name, conversations), warmup_seconds, None)
    for turn in range(rounds):
        order = sides[turn % len(sides) :] + sides[: turn % len(sides)]
        for side in order:
            await one_slice(
                monitor, side, seats.of(side.name, conversations), slice_seconds,
                results[side.name],
            )  # fmt: skip
    return results
