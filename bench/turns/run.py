"""`python -m bench.turns`: seed, then the engine and the fair baseline, interleaved, and report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import redis
from sqlalchemy.engine import make_url

import bench.turns
from adapters.redis_store import redis_client
from bench import machine
from bench.databases import as_application, dsn, fresh_database
from bench.fakes import fake_openai
from bench.servers import postgres_server
from bench.timing import total_time
from bench.turns import fair, profiling, report
from bench.turns.baseline import single_row_rate
from bench.turns.rig import ENGINE_APPLICATION, Rig, engine_rig, exchange
from bench.turns.roles import bypass_login
from bench.turns.seats import Seats
from bench.turns.seed import seed
from bench.turns.slices import Measured, Monitor, Side, interleaved
from bench.turns.workload import (
    DB_NAME,
    LEVELS,
    ROUNDS,
    SLICE_SECONDS,
    TARGET_LEVEL,
    TEACHERS,
    WARMUP_SECONDS,
)

BYPASS_APPLICATION = "ge-bench-engine-norls"
ENGINE, BYPASSED, FAIR = "engine", "engine, RLS bypassed", "fair"


@contextlib.contextmanager
def own_redis() -> Iterator[tuple[str, int]]:
    """A Redis server of this run's own (its CPU is then ours alone): its URL and pid."""
    binary = shutil.which("redis-server", path=str(Path(sys.executable).parent)) or shutil.which(
        "redis-server"
    )
    if binary is None:
        raise RuntimeError("no redis-server binary to start the bench's own Redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(redis.RedisError), redis.Redis(port=port) as ping:
                if ping.ping():
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(10)


def _engine_side(name: str, application: str, rig: Rig) -> Side:
    async def run(seat: object) -> float:
        return await exchange(rig, seat)  # type: ignore[arg-type]

    return Side(name, application, run)


@contextlib.asynccontextmanager
async def _monitor(url: str, pids: dict[str, int]) -> AsyncIterator[Monitor]:
    conn = await asyncpg.connect(dsn(url))
    try:
        yield Monitor(conn, make_url(url).database or "", pids)
    finally:
        await conn.close()


async def _measure(url: str, redis_url: str, redis_pid: int, profile: bool) -> None:
    namespace = f"ge-bench-turns-{uuid.uuid4().hex[:8]}"
    app_url = await as_application(url)
    bypass_url = await bypass_login(url)
    teachers = iter(range(1, TEACHERS + 1))
    seats = Seats(teachers)
    client = redis_client(redis_url)
    async with (
        fake_openai() as ai,
        engine_rig(app_url, redis_url, namespace, ai.url, teachers=teachers) as rig,
        engine_rig(bypass_url, redis_url, namespace + "-b", ai.url,
                   application_name=BYPASS_APPLICATION, teachers=teachers) as bypassed,
        fair.fair_rig(app_url, client, namespace, ai.url) as baseline,
        _monitor(url, {"redis": redis_pid, "fake AI": ai.pid}) as monitor,
    ):  # fmt: skip

        async def fair_run(seat: object) -> float:
            return await fair.exchange(baseline, seat)  # type: ignore[arg-type]

        sides = [
            _engine_side(ENGINE, ENGINE_APPLICATION, rig),
            Side(FAIR, fair.APPLICATION, fair_run, counted=False),
        ]
        sides.insert(1, _engine_side(BYPASSED, BYPASS_APPLICATION, bypassed))
        print(
            "\nSides: engine (as the application role, RLS in force, serve's turn slots); the\n"
            "same engine logged in with BYPASSRLS; fair: a hand-written exchange doing the\n"
            "engine's essential work and no more (inbox claim, act-as and live-user check, the\n"
            "access rule, turns, audit rows, state record, outbox, the same redacted model\n"
            "request; bench/turns/fair.py), 9 SQL and 2 Redis round trips."
        )
        print(f"\nLoad average {machine.load_average()} on 2 CPUs before measuring; "
              f"{ROUNDS} slices of {SLICE_SECONDS:g} s per side and level, "
              "interleaved")  # fmt: skip
        results: dict[int, dict[str, Measured]] = {}
        for conversations in LEVELS:
            results[conversations] = await interleaved(
                monitor, sides, seats, conversations, rounds=ROUNDS,
                slice_seconds=SLICE_SECONDS, warmup_seconds=WARMUP_SECONDS,
            )  # fmt: skip
            line = ", ".join(f"{m.side} {m.rate:.0f}/s" for m in results[conversations].values())
            print(f"  {conversations:>2} conversation(s): {line}; "
                  f"load average {machine.load_average()}")  # fmt: skip
        report.fair_table(results)
        report.round_trips(results)
        report.rls_cost(results, ENGINE, BYPASSED)
        shares = await profiling.engine_shares(sides[0], seats, TARGET_LEVEL, monitor)
        report.profile_table(results[TARGET_LEVEL][ENGINE], shares)
        single = await single_row_rate(url, TARGET_LEVEL, 1.0)
        print(f"\nContext only: raw asyncpg, autocommitted single-row INSERTs at {TARGET_LEVEL} "
              f"connections: {single:.0f}/s; load average now "
              f"{machine.load_average()}")  # fmt: skip
        ok = report.verdict(results, ENGINE, FAIR)
        print(f"\nOverall: {'PASS' if ok else 'FAIL'} (informational; the exit code ignores it)")
        if profile:
            await profiling.detailed(sides[0], seats, monitor)
    await client.aclose()


async def _prepare(server_url: str) -> str:
    url = await fresh_database(server_url, DB_NAME)
    print(f"Seeding {DB_NAME}: {TEACHERS} teachers, one interview each")
    await seed(url)
    return url


def main() -> None:
    """Create and seed the benchmark database, then measure and report."""
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=bench.turns.__doc__)
    parser.add_argument("--profile", action="store_true", help="also cProfile's top functions")
    profile = parser.parse_args().profile
    with total_time(), postgres_server() as server_url, own_redis() as (redis_url, redis_pid):
        url = asyncio.run(_prepare(server_url))
        asyncio.run(_measure(url, redis_url, redis_pid, profile))
