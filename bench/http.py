"""HTTP ack path: signed Slack events and Telegram updates into `serve` at increasing rates.

`growth-engine serve` runs as a subprocess with Slack and Telegram configured against FakeSlack,
FakeTelegram and FakeOpenAI (instant answers), all three in one child process so their servers
take no CPU from the load generator's event loop. Every request is a different seeded teacher
answering the first question of an interview in progress, half as a signed Events API DM
message, half as a Telegram update with the secret header; each has its own event id or
update id, so deduplication never short-circuits the turn.

The load is open-loop: each step sends at a fixed rate for a few seconds without waiting for
answers, and the ack latency is the HTTP response time of each request. Between steps the
turns and replies still queued are given a few seconds to finish. Sustained requests/s is the
highest step acknowledged at (nearly) its offered rate with every answer a 200.

The engine-only figure is bench.turns' own measurement at 8 conversations, run first in this
process against the same fake AI (its own database and Redis namespace). The target, "ack p99
under 100 ms at the engine's sustained rate", is checked at a step sent at that rate; the
PASS/FAIL is informational (the exit code does not depend on it). Only 127.0.0.1 is loaded.

Run: `python -m bench.http` (DATABASE_URL and REDIS_URL, else embedded servers under
.data/bench). Every Redis key written carries this run's random tag and is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from adapters.redis_store import redis_client
from adapters.settings import Settings
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from adapters.wiring import REDIS_NAMESPACE
from bench import interviews, turns
from bench.databases import fresh_database
from bench.fakes import Fakes, fakes
from bench.interviews import ANSWER
from bench.machine import load_average
from bench.servers import delete_keys, postgres_server, redis_server
from bench.timing import percentile, total_time
from tests.fakes.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    event_callback,
    im_message,
    signed,
)
from tests.fakes.telegram_server import message_update

DB_NAME = "ge_bench_http"
ENGINE_DB_NAME = "ge_bench_http_turns"
RATES = (25, 50, 100, 200)
STEP_SECONDS = 5.0
WARMUP_RATE, WARMUP_SECONDS = 20, 1.0
DRAIN_SECONDS = 10.0
STOP_SECONDS = 15.0
TARGET_P99_MS = 100.0
SUSTAINED_SHARE = 0.95  # a step is sustained when acknowledged at >= 95% of its offered rate
USERS_PER_PLATFORM = 2500
SCHOOLS = 40
TELEGRAM_USER_BASE = 10_000_000
WEBHOOK_SECRET = "bench-webhook-secret"
REQUEST_TIMEOUT_SECONDS = 30.0


def seed_sql(tag: str) -> list[tuple[str, str]]:
    """Teachers with a Slack or Telegram identity, each one question into an interview."""
    slack = f"n <= {USERS_PER_PLATFORM}"
    return interviews.interview_sql(
        prefix="http",
        teachers=2 * USERS_PER_PLATFORM,
        schools=SCHOOLS,
        identity=(
            f"CASE WHEN {slack} THEN 'SLACK' ELSE 'TELEGRAM' END::chat_platform AS platform, "
            f"CASE WHEN {slack} THEN '{TEAM}' ELSE '{tag}' END AS workspace, "
            f"CASE WHEN {slack} THEN 'U{tag}N' || n ELSE ({TELEGRAM_USER_BASE} + n)::text END "
            "AS external"
        ),
        database=DB_NAME,
        audited=2 * USERS_PER_PLATFORM,
    )


# -- set-up ------------------------------------------------------------------------------------


async def seed(url: str, tag: str) -> None:
    """Run `seed_sql`, its per-table counts unprinted."""
    with contextlib.redirect_stdout(io.StringIO()):
        await interviews.seed(url, seed_sql(tag))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """The `serve` subprocess."""

    process: asyncio.subprocess.Process
    base: str
    log: Path

    def tail(self, lines: int = 30) -> str:
        """The last lines of its output."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def serving(
    workdir: Path, database_url: str, redis_url: str, fake: Fakes, token: str
) -> AsyncIterator[Served]:
    """`python -m adapters.cli serve` against the fakes, healthy; SIGTERM at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env |= {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DATA_DIR": str(workdir / "data"),
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.slack,
        "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": fake.telegram,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": fake.ai, "OPENAI_MAX_RETRIES": "0",
        # As bench.turns: no early finish, so every answer gets the next question.
        "INTERVIEW_MIN_QUESTIONS": "8", "INTERVIEW_MAX_QUESTIONS": "8", "DEFAULT_LANGUAGE": "en",
    }  # fmt: skip
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=workdir, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not become healthy:\n{served.tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{served.base}/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                print(f"  serve still finishing queued replies after {STOP_SECONDS:.0f} s; killed")
                process.kill()
                await process.wait()


# -- the engine-only figure --------------------------------------------------------------------


async def engine_only(server_url: str, redis_url: str, ai_url: str, tag: str) -> turns.Run:
    """bench.turns' measurement at 8 conversations, on its own database and Redis namespace."""
    url = await fresh_database(server_url, ENGINE_DB_NAME)
    with contextlib.redirect_stdout(io.StringIO()):  # its per-table seed counts
        await turns.seed(url)
    async with turns.engine_rig(url, redis_url, f"ge-bench-http-{tag}", ai_url) as rig:
        await turns.drive(rig, turns.TARGET_LEVEL, turns.WARMUP_SECONDS)
        return await turns.drive(rig, turns.TARGET_LEVEL, turns.MEASURE_SECONDS)


# -- load --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One prepared POST."""

    platform: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Users:
    """Hands out seeded teachers (never one twice) and unique event and update ids."""

    tag: str
    slack_next: int = 1
    telegram_next: int = USERS_PER_PLATFORM + 1
    sent: int = 0

    def requests(self, base: str, count: int) -> list[Request]:
        """`count` requests alternating Slack and Telegram, each a new teacher's answer."""
        prepared = []
        for _ in range(count):
            self.sent += 1
            if self.sent % 2:
                prepared.append(self._slack(base))
            else:
                prepared.append(self._telegram(base))
        return prepared

    def _slack(self, base: str) -> Request:
        n = self.slack_next
        if n > USERS_PER_PLATFORM:
            raise RuntimeError("all seeded Slack teachers used; raise USERS_PER_PLATFORM")
        self.slack_next += 1
        user = f"U{self.tag}N{n}"
        body = event_callback(im_message(user, ANSWER), f"Ev{self.tag}N{n}")
        headers = {"Content-Type": "application/json", **signed(body)}
        return Request("slack", f"{base}/slack/events", body.encode(), headers)

    def _telegram(self, base: str) -> Request:
        n = self.telegram_next
        if n > 2 * USERS_PER_PLATFORM:
            raise RuntimeError("all seeded Telegram teachers used; raise USERS_PER_PLATFORM")
        self.telegram_next += 1
        update = message_update(n, ANSWER, user_id=TELEGRAM_USER_BASE + n,
                                language_code="en")  # fmt: skip
        headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        return Request("telegram", f"{base}{WEBHOOK_PATH}", json.dumps(update).encode(), headers)


@dataclass
class Step:
    """One rate's results."""

    rate: float
    seconds: float
    sent_rate: float
    acked_rate: float
    ack_ms: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    turns_rate: float = 0.0
    replies_rate: float = 0.0
    drained: str = ""

    @property
    def all_ms(self) -> list[float]:
        """Every acknowledged request's latency."""
        return [ms for values in self.ack_ms.values() for ms in values]

    @property
    def sustained(self) -> bool:
        """Acknowledged at (nearly) the offered rate, every answer a 200."""
        return self.failures == 0 and self.acked_rate >= SUSTAINED_SHARE * self.rate


async def _send(http: aiohttp.ClientSession, request: Request) -> tuple[str, int, float, float]:
    started = time.perf_counter()
    try:
        async with http.post(request.url, data=request.body, headers=request.headers) as answer:
            await answer.read()
            status = answer.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    ended = time.perf_counter()
    return request.platform, status, (ended - started) * 1000, ended


async def run_step(
    http: aiohttp.ClientSession, fake: Fakes, users: Users, base: str, rate: float, seconds: float
) -> Step:
    """Send at `rate` for `seconds` without waiting for answers (open loop)."""
    prepared = users.requests(base, round(rate * seconds))
    before = await fake.counts(http)
    loop = asyncio.get_running_loop()
    tasks = []
    start = loop.time()
    wall = time.perf_counter()
    for i, request in enumerate(prepared):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(http, request)))
    sending = time.perf_counter() - wall
    results = await asyncio.gather(*tasks)
    elapsed = max(ended for *_, ended in results) - wall
    after = await fake.counts(http)
    step = Step(
        rate=rate,
        seconds=elapsed,
        sent_rate=len(prepared) / max(sending + 1 / rate, 1e-9),
        acked_rate=sum(status == 200 for _, status, _, _ in results) / elapsed,
        failures=sum(status != 200 for _, status, _, _ in results),
        turns_rate=(after["ai"] - before["ai"]) / elapsed,
        replies_rate=(after["slack"] + after["telegram"] - before["slack"] - before["telegram"])
        / elapsed,
    )
    for platform, status, ms, _ in results:
        if status == 200:
            step.ack_ms.setdefault(platform, []).append(ms)
    return step


async def drain(http: aiohttp.ClientSession, fake: Fakes, expected: int) -> str:
    """Wait (bounded) until every request so far has had its turn and its reply."""
    started = time.perf_counter()
    while True:
        counts = await fake.counts(http)
        replies = counts["slack"] + counts["telegram"]
        if counts["ai"] >= expected and replies >= expected:
            return f"caught up in {time.perf_counter() - started:.1f} s"
        if time.perf_counter() - started > DRAIN_SECONDS:
            return (f"after {DRAIN_SECONDS:.0f} s still {expected - counts['ai']} turns and "
                    f"{expected - replies} replies queued")  # fmt: skip
        await asyncio.sleep(0.2)


# -- report ------------------------------------------------------------------------------------


def report(steps: list[Step], engine: turns.Run, target_rate: int) -> None:
    """The table, the sustained rate and its ratio to the engine, and the verdict."""
    print(
        f"\n{'offered':>7} {'sent/s':>7} {'acked/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'Slack p99':>9} {'TG p99':>7} {'max ms':>7} {'non-200':>7} {'turns/s':>7} "
        f"{'replies/s':>9}"
    )
    for s in steps:
        every, slack, tg = s.all_ms, s.ack_ms.get("slack", []), s.ack_ms.get("telegram", [])
        print(
            f"{s.rate:>7.0f} {s.sent_rate:>7.1f} {s.acked_rate:>7.1f} "
            f"{statistics.median(every) if every else float('nan'):>7.1f} "
            f"{percentile(every, 99):>7.1f} {percentile(slack, 99):>9.1f} "
            f"{percentile(tg, 99):>7.1f} {max(every, default=float('nan')):>7.1f} "
            f"{s.failures:>7} {s.turns_rate:>7.1f} {s.replies_rate:>9.1f}"
            f"{'' if s.sustained else '  (not sustained)'}"
        )
        print(f"{'':>9}then: {s.drained}")
    print(
        "  acked/s: 200 answers over the step (first send to last answer). p50/p99/max: HTTP\n"
        "  response time of each request. turns/s: AI calls (one per turn) and replies/s:\n"
        "  messages delivered to the fakes during the step; both continue after the ack, and\n"
        "  replies leave at most 30/s per platform (the pacer)."
    )
    engine_rate = engine.rate
    sustained = [s for s in steps if s.sustained]
    best = max(sustained, key=lambda s: s.acked_rate) if sustained else None
    print(f"\nEngine only (bench.turns, {turns.TARGET_LEVEL} conversations): {engine_rate:.1f} "
          f"exchanges/s, own-time p99 {percentile(engine.own_ms, 99):.1f} ms")  # fmt: skip
    if best is None:
        print("Sustained: no step was acknowledged at its offered rate")
    else:
        print(f"Sustained: {best.acked_rate:.1f} requests/s acknowledged (offered "
              f"{best.rate:.0f}/s, p50 {statistics.median(best.all_ms):.1f} ms, p99 "
              f"{percentile(best.all_ms, 99):.1f} ms); ratio to the engine-only figure "
              f"{best.acked_rate / engine_rate:.2f}x")  # fmt: skip
        if best is steps[-1]:
            print("  (the highest rate offered: the ack path's ceiling is above it)")
    at_engine = next(s for s in steps if s.rate == target_rate)
    p99 = percentile(at_engine.all_ms, 99)
    ok = at_engine.sustained and p99 < TARGET_P99_MS
    print(f"\nTarget: ack p99 < {TARGET_P99_MS:.0f} ms at the engine's sustained rate "
          f"({target_rate} requests/s): p99 {p99:.1f} ms, {at_engine.failures} non-200, "
          f"acked {at_engine.acked_rate:.1f}/s: {'PASS' if ok else 'FAIL'} "
          "(informational)")  # fmt: skip


# -- main --------------------------------------------------------------------------------------


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
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.parse_args()
    with total_time(), postgres_server() as server_url, redis_server() as redis_url:
        asyncio.run(measure(server_url, redis_url))


if __name__ == "__main__":
    main()
