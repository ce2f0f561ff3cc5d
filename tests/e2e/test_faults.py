"""Faults injected into a real `serve`: SIGKILL, Postgres and Redis stopped, SIGTERM mid-work.

`serve` runs as a subprocess against a PostgreSQL and a Redis this module starts and stops
itself (never the machine's shared ones), the fake OpenAI and Telegram servers, and a Telegram
that redelivers every update until it is acknowledged with 2xx, as the real one does. Whatever
happens, every acknowledged message is answered, no turn is stored twice, and each analysis's
rows are numbered 1..n.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from adapters import schema
from adapters.embedded import EmbeddedPostgres, EmbeddedRedis
from adapters.roles import ensure_app_login_sync
from adapters.settings import Settings
from bench import interviews
from tests.conftest import TEST_APP_LOGIN, as_app, asyncpg_dsn
from tests.e2e.redelivery import RedeliveringTelegram
from tests.e2e.test_two_serve_processes import free_port
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import FakeTelegram

SECRET = "faults-webhook-secret"
BASE = 90000  # seeded teacher n is Telegram user BASE + n
TEACHERS = 15
ROUNDS = 5
OUTAGE_SECONDS = 10.0
# A crashed holder's conversation lock lapses within this (production: 10 s).
LEASE_SECONDS = 4.0


@dataclass
class Private:
    """The PostgreSQL and Redis of this module, and the migrated template."""

    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    redis_url: str
    template: str


@pytest.fixture(scope="module")
def private() -> Iterator[Private]:
    """Start a PostgreSQL and a Redis of our own (short socket paths), migrate a template."""
    root = Path(tempfile.mkdtemp(prefix="gef", dir="/tmp"))
    postgres, redis = EmbeddedPostgres(root), EmbeddedRedis(root)
    try:
        postgres.start()
        redis_url = redis.start()
        template = postgres.ensure_database("faults_template")
        # Migrated by the owner (the server's superuser), served as the application's login, as
        # in production (`db upgrade` with DATABASE_OWNER_URL, then `serve` with DATABASE_URL).
        schema.upgrade(template)
        ensure_app_login_sync(template, TEST_APP_LOGIN)
        yield Private(postgres, redis, redis_url, "faults_template")
    finally:
        postgres.stop()
        redis.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class World:
    """One test's database, fakes, platform and `serve` process."""

    private: Private
    database_url: str
    workdir: Path
    fake: FakeTelegram
    ai: FakeOpenAI
    telegram: RedeliveringTelegram
    raw: asyncpg.Connection
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        return env | {
            "DATABASE_URL": as_app(self.database_url), "REDIS_URL": self.private.redis_url,
            "DATA_DIR": str(self.workdir / "data"), "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": self.telegram.base_url.rsplit(":", 1)[1],
            "TELEGRAM_BOT_TOKEN": self.fake.token, "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET, "OPENAI_API_KEY": "faults",
            "OPENAI_BASE_URL": self.ai.base_url, "OPENAI_MAX_RETRIES": "1",
            "OPENAI_TIMEOUT_SECONDS": "10", "INTERVIEW_MIN_QUESTIONS": "40",
            "INTERVIEW_MAX_QUESTIONS": "40", "DEFAULT_LANGUAGE": "en",
            "LOCK_LEASE_SECONDS": str(LEASE_SECONDS), "INBOX_SWEEP_SECONDS": "1",
        }  # fmt: skip

    async def start(self) -> float:
        """Start `serve`; the moment it is healthy."""
        self.starts += 1
        log = (self.workdir / f"serve-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=self.workdir, env=self.env(), stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process.returncode is None, self.logs()
                assert time.monotonic() < deadline, f"serve never listened:\n{self.logs()}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.telegram.base_url}/metrics") as response:
                        if response.status == 200:
                            return time.monotonic()
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        assert self.process is not None
        self.process.kill()

    async def stopped(self) -> int:
        """Wait for the process to end; its exit code."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), 60)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.log")))

    def questions(self, user_id: int) -> int:
        """Distinct questions the teacher got (a resend after a crash repeats one)."""
        return len(set(self.fake.texts(user_id)))


@pytest.fixture
async def world(private: Private, tmp_path: Path) -> AsyncIterator[World]:
    """A fresh database with TEACHERS teachers one question into an interview, and the fakes."""
    name = f"faults_{random.randrange(10**9)}"
    conn = await asyncpg.connect(asyncpg_dsn(private.postgres.url_for("postgres")))
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {private.template}")
    await conn.close()
    url = private.postgres.url_for(name)
    async with FakeTelegram() as fake, FakeOpenAI() as ai:
        steps = interviews.interview_sql(
            prefix="flt", teachers=TEACHERS, schools=1, database=name, audited=TEACHERS,
            identity=(f"'TELEGRAM'::chat_platform AS platform, '{fake.bot_id}' AS workspace, "
                      f"({BASE} + n)::text AS external"),
        )  # fmt: skip
        await interviews.seed(asyncpg_dsn(url), steps)
        raw = await asyncpg.connect(asyncpg_dsn(url))
        async with aiohttp.ClientSession() as http:
            telegram = RedeliveringTelegram(http, SECRET, f"http://127.0.0.1:{free_port()}")
            world = World(private, url, tmp_path, fake, ai, telegram, raw)
            try:
                yield world
            finally:
                if world.process is not None and world.process.returncode is None:
                    world.kill()
                    await world.process.wait()
                for delivery in telegram.deliveries:
                    if delivery.task is not None:
                        delivery.task.cancel()
                await world.raw.close()
                if world.raw is not raw:
                    await raw.close()
        assert "Traceback" not in world.logs(), world.logs()


async def until(condition: Callable[[], object], what: str, within: float) -> float:
    """Poll `condition` until it holds; the moment it did."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return time.monotonic()


async def assert_every_message_answered_once(world: World) -> None:
    """Each acknowledged message is one stored turn (in order, rows 1..n) with an answer."""
    world.raw = await asyncpg.connect(asyncpg_dsn(world.database_url))  # outlives restarts
    sent = Counter(d.user_id for d in world.telegram.deliveries)
    for user_id, count in sent.items():
        rows = await world.raw.fetch(
            "SELECT c.role::text, c.sequence_number, c.content FROM analysis_conversations c "
            "JOIN analyses a ON a.id = c.analysis_id JOIN chat_identities i "
            "ON i.user_id = a.teacher_id WHERE i.external_user_id = $1 "
            "ORDER BY c.sequence_number", str(user_id))  # fmt: skip
        assert [r["sequence_number"] for r in rows] == list(range(1, len(rows) + 1))
        roles = [r["role"] for r in rows]
        assert roles == ["SYSTEM", "ASSISTANT"] + ["USER", "ASSISTANT"] * count, (user_id, roles)
        mine = [d.text for d in world.telegram.deliveries if d.user_id == user_id]
        assert [r["content"] for r in rows if r["role"] == "USER"] == mine
        assert world.questions(user_id) == count, (user_id, world.fake.texts(user_id))
    deadline = time.monotonic() + 15  # a reply just delivered may not be marked sent yet
    while True:
        unanswered = await world.raw.fetchval(
            "SELECT count(*) FROM inbox_events WHERE answered_at IS NULL")
        unsent = await world.raw.fetchval(
            "SELECT count(*) FROM outbox_replies WHERE sent_at IS NULL")
        if (unanswered, unsent) == (0, 0) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert (unanswered, unsent) == (0, 0)


def teachers(count: int = TEACHERS) -> list[int]:
    return [BASE + n for n in range(1, count + 1)]


async def test_sigkill_at_random_moments_loses_and_duplicates_nothing(world: World) -> None:
    world.ai.latency = 0.4
    rng = random.Random(11)
    await world.start()
    for round_ in range(1, ROUNDS + 1):
        for user_id in teachers():
            world.telegram.send(f"Round {round_} answer of {user_id}.", user_id=user_id,
                                language_code="en")  # fmt: skip
        await asyncio.sleep(rng.uniform(0.05, 1.2))
        world.kill()
        await world.stopped()
        healthy = await world.start()
        print(f"round {round_}: healthy again")
        await world.telegram.all_acknowledged(within=30)
        answered = await until(
            lambda r=round_: all(world.questions(u) >= r for u in teachers()),
            f"round {round_} answered", within=30)  # fmt: skip
        assert answered - healthy < 10.0, f"round {round_}: {answered - healthy:.1f} s"
    await assert_every_message_answered_once(world)


async def test_postgres_stopped_10s_gets_non_2xx_then_every_message_is_answered(
    world: World,
) -> None:
    await world.start()
    world.private.postgres.stop()
    try:
        during = [world.telegram.send(f"During the outage, {u}.", user_id=u,
                                      language_code="en") for u in teachers(5)]  # fmt: skip
        await asyncio.sleep(OUTAGE_SECONDS)
        assert all(d.acked_at is None and d.statuses for d in during), "nothing acked, no 200"
        assert all(s != 200 for d in during for s in d.statuses)
    finally:
        world.private.postgres.start()
    await world.telegram.all_acknowledged(within=30)
    await until(lambda: all(world.questions(u) >= 1 for u in teachers(5)), "answers", 30)
    await assert_every_message_answered_once(world)


async def test_redis_stopped_10s_every_message_is_answered(world: World) -> None:
    await world.start()
    world.private.redis.stop()
    try:
        for user_id in teachers(5):
            world.telegram.send(f"Redis is away, {user_id}.", user_id=user_id, language_code="en")
        await asyncio.sleep(OUTAGE_SECONDS)
    finally:
        world.private.redis.start()
    await world.telegram.all_acknowledged(within=30)
    await until(lambda: all(world.questions(u) >= 1 for u in teachers(5)), "answers", 30)
    await assert_every_message_answered_once(world)


async def test_sigterm_with_turns_waiting_answers_them_before_exit_or_after_restart(
    world: World,
) -> None:
    world.ai.latency = 3.0
    await world.start()
    for user_id in teachers(8):
        world.telegram.send(f"First, {user_id}.", user_id=user_id, language_code="en")
    await asyncio.sleep(0.3)
    for user_id in teachers(8):
        world.telegram.send(f"Second, {user_id}.", user_id=user_id, language_code="en")
    await world.telegram.all_acknowledged(within=10)
    assert world.process is not None
    world.process.send_signal(signal.SIGTERM)
    assert await world.stopped() == 0
    await world.start()  # whatever the grace period left is answered now
    await until(lambda: all(world.questions(u) >= 2 for u in teachers(8)), "answers", 30)
    await assert_every_message_answered_once(world)
