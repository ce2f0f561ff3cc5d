"""Where the engine process's CPU goes: one profiled slice, own time grouped by component."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import Counter

from bench import ROOT
from bench.turns.seats import Seats
from bench.turns.slices import Monitor, Side, one_slice

PROFILE_SECONDS = 2.0
# Component by path fragment, first match wins (site-packages names, then our layers).
COMPONENTS = (
    ("sqlalchemy/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg driver"),
    ("openai/", "openai client"),
    ("httpx/", "HTTP client (httpx/aiohttp)"),
    ("aiohttp/", "HTTP client (httpx/aiohttp)"),
    ("pydantic", "pydantic"),
    ("redis/", "redis client"),
    ("greenlet", "SQLAlchemy"),
    ("asyncio/", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("json/", "json"),
    ("/re/", "regex (re)"),
    ("/core/", "our core/"),
    ("/bot/", "our bot/"),
    ("/adapters/", "our adapters/"),
    ("/bench/", "bench harness"),
)


def component(filename: str, function: str) -> str:
    """The component a profiled function belongs to."""
    for fragment, name in COMPONENTS:
        if fragment in filename:
            return name
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename == "~":
        # C functions: cProfile files them under '~'; the name says whose they are.
        for marker, name in (("asyncpg", "asyncpg driver"), ("json", "json"), ("re.", "regex (re)"),
                             ("greenlet", "SQLAlchemy"), ("socket", "socket I/O (C)")):  # fmt: skip
            if marker in function:
                return name
        return "C builtins (other)"
    if str(ROOT) in filename:
        return "our code (other)"
    return "Python stdlib (other)"


def shares(profiler: cProfile.Profile) -> Counter[str]:
    """Own CPU time by component, as shares of the total."""
    stats = pstats.Stats(profiler)
    by: Counter[str] = Counter()
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        by[component(filename, name)] += row[2]
    total = sum(by.values()) or 1.0
    return Counter({name: seconds / total for name, seconds in by.items()})


async def engine_shares(
    side: Side, seats: Seats, conversations: int, monitor: Monitor
) -> Counter[str]:
    """One slice of `side` at `conversations` under cProfile: CPU shares by component."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await one_slice(monitor, side, seats.of(side.name, conversations), PROFILE_SECONDS, None)
    profiler.disable()
    return shares(profiler)


async def detailed(side: Side, seats: Seats, monitor: Monitor) -> None:
    """`--profile`: the top functions by own time in one slice at one conversation."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await one_slice(monitor, side, seats.of(side.name, 1), PROFILE_SECONDS, None)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print("\ncProfile, one conversation, top functions by own time:")
    print("\n".join(out.getvalue().splitlines()[4:]))
