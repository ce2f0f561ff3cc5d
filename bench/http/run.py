"""`python -m bench.http`: the engine-only figure, then `serve` under load at each rate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import tempfile
from pathlib import Path

import aiohttp

import bench.http
from adapters.redis_store import redis_client
from adapters.wiring import REDIS_NAMESPACE
from bench import turns
from bench.databases import fresh_database
from bench.fakes import fakes
from bench.http import slow as slow_mode
from bench.http.load import Step, Users, drain, run_step
from bench.http.report import report
from bench.http.seed import DB_NAME, USERS_PER_PLATFORM, seed
from bench.http.serve import serving
from bench.http.slow import measure_slow
from bench.machine import load_average
from bench.servers import delete_keys, postgres_server, redis_server
from bench.timing import percentile, total_time

ENGINE_DB_NAME = "ge_bench_http_turns"
RATES = (25, 50, 100, 200)
STEP_SECONDS = 5.0
WARMUP_RATE, WARMUP_SECONDS = 20, 1.0
REQUEST_TIMEOUT_SECONDS = 30.0


async def engine_only(server_url: str, redis_url: str, ai_url: str, tag: str) -> turns.Run:
    """bench.turns' measurement at 8 conversations, on its own database and Redis namespace."""
    url = await fresh_database(server_url, ENGINE_DB_NAME)
    with contextlib.redirect_stdout(io.StringIO()):  # its per-table seed counts
        await turns.seed(url)
    async with turns.engine_rig(url, redis_url, f"ge-bench-http-{tag}", ai_url) as rig:
        await turns.drive(rig, turns.TARGET_LEVEL, turns.WARMUP_SECONDS)
        return await turns.drive(rig, turns.TARGET_LEVEL, turns.MEASURE_SECONDS)


async def delete_tagged_keys(url: str, tag: str) -> None:
    """Delete the production-namespace keys `serve` wrote for this run (they carry `tag`)."""
    client = redis_client(url)
    try:
        await delete_keys(client, f"{REDIS_NAMESPACE}:*{tag}*")
    finally:
        await client.aclose()


async def measure(server_url: str, redis_url: str) -> None:
    """Engine-only figure, then `serve` under load at each rate, then the report."""
    tag = str(random.randrange(10**8, 10**9))  # the Telegram bot id; in every Redis key
    token = f"{tag}:AAFakeBenchToken"
    async with fakes(token) as fake:
        print(f"Engine only: bench.turns at {turns.TARGET_LEVEL} conversations "
              f"({turns.WARMUP_SECONDS:g} s warm-up, {turns.MEASURE_SECONDS:g} s)…")  # fmt: skip
        engine = await engine_only(server_url, redis_url, fake.ai, tag)
        print(f"  {engine.rate:.1f} exchanges/s")
        target_rate = max(1, round(engine.rate))
        rates = sorted({*RATES, target_rate})
        url = await fresh_database(server_url, DB_NAME)
        print(f"Seeding {DB_NAME}: {USERS_PER_PLATFORM} Slack and {USERS_PER_PLATFORM} Telegram "
              "teachers, one interview question in each")  # fmt: skip
        await seed(url, tag)
        users = Users(tag)
        steps: list[Step] = []
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        try:
            with tempfile.TemporaryDirectory(prefix="ge-bench-http-") as workdir:
                async with serving(Path(workdir), url, redis_url, fake, token) as served:
                    print(f"serve at {served.base}; load average {load_average()} on "
                          f"{os.cpu_count()} CPUs; rates {', '.join(map(str, rates))}/s for "
                          f"{STEP_SECONDS:g} s each")  # fmt: skip
                    connector = aiohttp.TCPConnector(limit=0)
                    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                        await fake.reset(http)
                        await run_step(http, fake, users, served.base, WARMUP_RATE,
                                       WARMUP_SECONDS)  # fmt: skip
                        await drain(http, fake, users.sent)
                        for rate in rates:
                            step = await run_step(http, fake, users, served.base, rate,
                                                  STEP_SECONDS)  # fmt: skip
                            step.drained = await drain(http, fake, users.sent)
                            p99 = percentile(step.all_ms, 99)
                            print(f"  {rate:>4}/s: acked {step.acked_rate:.1f}/s, p99 "
                                  f"{p99:.1f} ms; {step.drained}")  # fmt: skip
                            steps.append(step)
                        final = await fake.counts(http)
                    errors = served.log.read_text(errors="replace").count("Traceback")
                print(f"Requests {users.sent}; turns {final['ai']}, replies "
                      f"{final['slack'] + final['telegram']} by the last step's end; "
                      f"{errors} tracebacks in serve's log; "
                      f"load average {load_average()}")  # fmt: skip
                if errors:
                    print(served.tail())
        finally:
            await delete_tagged_keys(redis_url, tag)
    report(steps, engine, target_rate)


def main() -> None:
    """Start what is not configured, measure, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=bench.http.__doc__)
    parser.add_argument("--slow-model", action="store_true",
                        help="100 conversations, model at 2 s: PASS/FAIL")  # fmt: skip
    parser.add_argument("--conversations", type=int, default=slow_mode.CONVERSATIONS,
                        help="with --slow-model: how many (PASS/FAIL is for 100)")  # fmt: skip
    args = parser.parse_args()
    with total_time(), postgres_server() as server_url, redis_server() as redis_url:
        if args.slow_model:
            asyncio.run(slow(server_url, redis_url, args.conversations))
        else:
            asyncio.run(measure(server_url, redis_url))


async def slow(server_url: str, redis_url: str, conversations: int) -> None:
    """The slow-model mode, its Redis keys deleted after."""
    tag = str(random.randrange(10**8, 10**9))
    try:
        await measure_slow(server_url, redis_url, tag, conversations)
    finally:
        await delete_tagged_keys(redis_url, tag)
