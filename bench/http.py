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
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from adapters import schema
from adapters.redis_store import redis_client
from adapters.settings import Settings, load_settings
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from adapters.wiring import REDIS_NAMESPACE
from bench import turns
from core.db import make_engine
from core.prompts import system_prompt
from tests.fakes.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    event_callback,
    im_message,
    signed,
)
from tests.fakes.telegram_server import message_update

ROOT = Path(__file__).resolve().parent.parent
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

# FakeOpenAI, FakeSlack and FakeTelegram in a fresh interpreter: print their URLs (and one of
# our own answering GET /counts), serve until stdin closes.
FAKES = """
import asyncio, json, sys
from aiohttp import web
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import FakeSlack
from tests.fakes.telegram_server import FakeTelegram

async def main(token):
    async with FakeOpenAI() as ai, FakeSlack() as slack, FakeTelegram(token=token) as tg:
        async def counts(request):
            return web.json_response({"ai": len(ai.requests), "slack": len(slack.messages()),
                                      "telegram": len(tg.sent)})
        app = web.Application()
        app.router.add_get("/counts", counts)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        print(json.dumps({"ai": ai.base_url, "slack": slack.base_url, "telegram": tg.base_url,
                          "counts": f"http://127.0.0.1:{port}/counts"}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

asyncio.run(main(sys.argv[1]))
"""


def seed_sql(tag: str) -> list[tuple[str, str]]:
    """Teachers with a Slack or Telegram identity, each one question into an interview."""
    users = 2 * USERS_PER_PLATFORM
    slack = f"n <= {USERS_PER_PLATFORM}"
    return [
        ("plan", f"""
            CREATE TEMP TABLE plan AS
            SELECT n, 1 + n % {SCHOOLS} AS school,
                   CASE WHEN {slack} THEN 'SLACK' ELSE 'TELEGRAM' END::chat_platform AS platform,
                   CASE WHEN {slack} THEN '{TEAM}' ELSE '{tag}' END AS workspace,
                   CASE WHEN {slack} THEN 'U{tag}N' || n
                        ELSE ({TELEGRAM_USER_BASE} + n)::text END AS external,
                   gen_random_uuid() AS user_id, gen_random_uuid() AS student_id,
                   gen_random_uuid() AS class_id, gen_random_uuid() AS analysis_id
            FROM generate_series(1, {users}) AS n"""),
        ("schools", f"""
            INSERT INTO schools (name, code)
            SELECT 'Bench school ' || s, 'HTTP-' || s FROM generate_series(1, {SCHOOLS}) AS s"""),
        ("users", """
            INSERT INTO users (id, email, role, first_name, last_name, school_id)
            SELECT p.user_id, 'http' || p.n || '@bench.test', 'TEACHER', 'Dana',
                   'Teacher ' || p.n, sc.id
            FROM plan p JOIN schools sc ON sc.code = 'HTTP-' || p.school"""),
        ("students", """
            INSERT INTO students (id, first_name, last_name, student_id, grade_level, school_id)
            SELECT p.student_id, 'Noa', 'Levi', 'H' || p.n, '5', u.school_id
            FROM plan p JOIN users u ON u.id = p.user_id"""),
        ("classes", """
            INSERT INTO classes (id, name, grade_level, teacher_id, school_id, academic_year)
            SELECT p.class_id, 'Class ' || p.n, '5', p.user_id, u.school_id, '2026-2027'
            FROM plan p JOIN users u ON u.id = p.user_id"""),
        ("class_enrollments", """
            INSERT INTO class_enrollments (student_id, class_id)
            SELECT student_id, class_id FROM plan"""),
        ("chat_identities", """
            INSERT INTO chat_identities (platform, workspace_id, external_user_id, user_id)
            SELECT platform, workspace, external, user_id FROM plan"""),
        ("analyses", """
            INSERT INTO analyses (id, student_id, teacher_id, total_tokens, estimated_cost,
                                  session_duration)
            SELECT analysis_id, student_id, user_id, 0, 0, 0 FROM plan"""),
        ("analysis_conversations", """
            INSERT INTO analysis_conversations (analysis_id, role, content, tokens,
                                                sequence_number)
            SELECT p.analysis_id, t.role::conversation_role, t.content, t.tokens, t.seq
            FROM plan p
            CROSS JOIN (VALUES ('SYSTEM', $1, NULL::int, 1), ('ASSISTANT', $2, 9, 2))
                 AS t (role, content, tokens, seq)"""),
        ("dialogue_states", """
            INSERT INTO dialogue_states (platform, workspace_id, external_user_id, user_id,
                                         state, analysis_id, data)
            SELECT platform, workspace, external, user_id, 'INTERVIEWING', analysis_id,
                   '{"language": "en"}'::jsonb
            FROM plan"""),
        ("audit row for the seed", f"""
            INSERT INTO audit_logs (user_email, user_role, action, resource, resource_id, metadata)
            VALUES ('system', 'ADMIN', 'CREATE', 'BenchSeed', '{DB_NAME}',
                    jsonb_build_object('channel', jsonb_build_object('platform', 'CLI'),
                                       'teachers', {users}))"""),
    ]  # fmt: skip


# -- set-up ------------------------------------------------------------------------------------


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database `name`, migrate it to head; its URL."""
    admin = await asyncpg.connect(_dsn(_with_database(server_url, "postgres")))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    finally:
        await admin.close()
    url = _with_database(server_url, name)
    await asyncio.to_thread(schema.upgrade, url)
    return url


async def seed(url: str, tag: str) -> None:
    """Run `seed_sql` in one transaction, then VACUUM ANALYZE."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        async with conn.transaction():
            for _name, sql in seed_sql(tag):
                args = (system_prompt("en"), turns.FIRST_QUESTION) if "$1" in sql else ()
                await conn.execute(sql, *args)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


@dataclass
class Fakes:
    """Where the fake servers in the child process listen."""

    ai: str
    slack: str
    telegram: str
    counts_url: str
    zero: dict[str, int] = field(default_factory=dict)

    async def counts(self, http: aiohttp.ClientSession) -> dict[str, int]:
        """AI requests answered, Slack messages posted and Telegram messages sent since `reset`."""
        async with http.get(self.counts_url) as response:
            counts: dict[str, int] = await response.json()
        return {name: value - self.zero.get(name, 0) for name, value in counts.items()}

    async def reset(self, http: aiohttp.ClientSession) -> None:
        """Count from zero again (the engine-only run used the same fake AI)."""
        self.zero = {}
        self.zero = await self.counts(http)


@contextlib.asynccontextmanager
async def fakes(token: str) -> AsyncIterator[Fakes]:
    """The fake Slack, Telegram and OpenAI servers in one child process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FAKES, token, cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        try:
            urls = json.loads(line)
        except ValueError:
            raise RuntimeError(f"the fake servers did not start: {line!r}") from None
        yield Fakes(urls["ai"], urls["slack"], urls["telegram"], urls["counts"])
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


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
        await turns._seed(url)
    namespace = f"ge-bench-http-{tag}"
    client = redis_client(redis_url)
    db = make_engine(url)
    turns.instrument(db)
    engine, locks, ai = turns.build(db, client, namespace, ai_url)
    try:
        rig = turns.Rig(engine, locks, iter(range(1, turns.TEACHERS + 1)))
        await turns._drive(rig, turns.TARGET_LEVEL, turns.WARMUP_SECONDS)
        return await turns._drive(rig, turns.TARGET_LEVEL, turns.MEASURE_SECONDS)
    finally:
        await ai.aclose()
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.unlink(*keys[start : start + 1000])
        await client.aclose()
        await db.dispose()


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
        body = event_callback(im_message(user, turns.ANSWER), f"Ev{self.tag}N{n}")
        headers = {"Content-Type": "application/json", **signed(body)}
        return Request("slack", f"{base}/slack/events", body.encode(), headers)

    def _telegram(self, base: str) -> Request:
        n = self.telegram_next
        if n > 2 * USERS_PER_PLATFORM:
            raise RuntimeError("all seeded Telegram teachers used; raise USERS_PER_PLATFORM")
        self.telegram_next += 1
        update = message_update(n, turns.ANSWER, user_id=TELEGRAM_USER_BASE + n,
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


def _p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


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
            f"{statistics.median(every) if every else float('nan'):>7.1f} {_p(every, 99):>7.1f} "
            f"{_p(slack, 99):>9.1f} {_p(tg, 99):>7.1f} {max(every, default=float('nan')):>7.1f} "
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
          f"exchanges/s, own-time p99 {_p(engine.own_ms, 99):.1f} ms")  # fmt: skip
    if best is None:
        print("Sustained: no step was acknowledged at its offered rate")
    else:
        print(f"Sustained: {best.acked_rate:.1f} requests/s acknowledged (offered "
              f"{best.rate:.0f}/s, p50 {statistics.median(best.all_ms):.1f} ms, p99 "
              f"{_p(best.all_ms, 99):.1f} ms); ratio to the engine-only figure "
              f"{best.acked_rate / engine_rate:.2f}x")  # fmt: skip
        if best is steps[-1]:
            print("  (the highest rate offered: the ack path's ceiling is above it)")
    at_engine = next(s for s in steps if s.rate == target_rate)
    p99 = _p(at_engine.all_ms, 99)
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
        keys = [k async for k in client.scan_iter(match=f"{REDIS_NAMESPACE}:*{tag}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.unlink(*keys[start : start + 1000])
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
                    print(f"serve at {served.base}; load average {_load()} on "
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
                            print(f"  {rate:>4}/s: acked {step.acked_rate:.1f}/s, p99 "
                                  f"{_p(step.all_ms, 99):.1f} ms; {step.drained}")  # fmt: skip
                            steps.append(step)
                        final = await fake.counts(http)
                    errors = served.log.read_text(errors="replace").count("Traceback")
                print(f"Requests {users.sent}; turns {final['ai']}, replies "
                      f"{final['slack'] + final['telegram']} by the last step's end; "
                      f"{errors} tracebacks in serve's log; load average {_load()}")  # fmt: skip
                if errors:
                    print(served.tail())
        finally:
            await delete_tagged_keys(redis_url, tag)
    report(steps, engine, target_rate)


def main() -> None:
    """Start what is not configured, measure, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.parse_args()
    started = time.perf_counter()
    settings = load_settings()
    servers: list[Any] = []
    server_url, redis_url = settings.DATABASE_URL, settings.REDIS_URL
    try:
        if server_url is None:
            from adapters.embedded import EmbeddedPostgres

            servers.append(EmbeddedPostgres(ROOT / ".data" / "bench"))
            server_url = servers[-1].start()
        if redis_url is None:
            from adapters.embedded import EmbeddedRedis

            servers.append(EmbeddedRedis(ROOT / ".data" / "bench"))
            redis_url = servers[-1].start()
        asyncio.run(measure(server_url, redis_url))
    finally:
        for server in reversed(servers):
            server.stop()
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
