"""`python -m bench.turns`: seed, measure the engine and the baseline at each level, report."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import time
import uuid

import bench.turns
from bench import machine
from bench.databases import as_application, fresh_database
from bench.fakes import fake_openai
from bench.servers import postgres_server, redis_server
from bench.timing import total_time
from bench.turns import profiling, report
from bench.turns.baseline import baseline, single_row_rate
from bench.turns.rig import Run, drive, engine_rig
from bench.turns.seed import baseline_analyses, seed
from bench.turns.workload import (
    BASELINE_ANALYSES,
    BASELINE_SECONDS,
    DB_NAME,
    LEVELS,
    MEASURE_SECONDS,
    TARGET_LEVEL,
    TEACHERS,
    WARMUP_SECONDS,
)


async def _measure(url: str, redis_url: str, profile: bool) -> None:
    namespace = f"ge-bench-turns-{uuid.uuid4().hex[:8]}"
    analyses = await baseline_analyses(url)
    app_url = await as_application(url)
    async with fake_openai() as fake, engine_rig(app_url, redis_url, namespace, fake.url) as rig:
        rig.pids["fake AI"] = fake.pid
        pool = rig.db.sync_engine.pool
        print(f"\nEngine pool: {pool.status()}; pre-ping {pool._pre_ping}; "
              f"load average {machine.load_average()} on {os.cpu_count()} CPUs")  # fmt: skip
        rows: list[tuple[Run, float]] = []
        for conversations in LEVELS:
            await drive(rig, conversations, WARMUP_SECONDS)
            run = await drive(rig, conversations, MEASURE_SECONDS)
            base = await baseline(url, analyses[:conversations], BASELINE_SECONDS)
            rows.append((run, base))
            print(f"  {conversations:>2} conversation(s): {run.exchanges} exchanges in "
                  f"{run.seconds:.1f} s; baseline {base:.0f} tx/s")  # fmt: skip
        report.table(rows)
        report.machine_table(rows)
        for run, _ in rows:
            report.where_time_goes(run)
        single = await single_row_rate(url, TARGET_LEVEL, 2.0)
        print(f"\nCalibration: raw asyncpg, single-row transactions at {TARGET_LEVEL} "
              f"connections: {single:.0f}/s (the issue quotes about 4,700/s); "
              f"load average now {machine.load_average()}")  # fmt: skip
        report.budget(rows)
        at_target = next((r, b) for r, b in rows if r.conversations == TARGET_LEVEL)
        ok = report.verdict(*at_target)
        print(f"\nOverall: {'PASS' if ok else 'FAIL'} (informational)")
        if profile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await drive(rig, 1, 4.0)
            profiler.disable()
            profiling.report(profiler)


async def _prepare(server_url: str) -> str:
    url = await fresh_database(server_url, DB_NAME)
    print(f"Seeding {DB_NAME}: {TEACHERS + BASELINE_ANALYSES} teachers, one interview each")
    await seed(url)
    return url


def main() -> None:
    """Create and seed the benchmark database, then measure and report."""
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=bench.turns.__doc__)
    parser.add_argument("--profile", action="store_true", help="cProfile one conversation")
    profile = parser.parse_args().profile
    with total_time(), postgres_server() as server_url, redis_server() as redis_url:
        url = asyncio.run(_prepare(server_url))
        asyncio.run(_measure(url, redis_url, profile))
