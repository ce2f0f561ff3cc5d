"""Two `serve` processes on one Postgres and Redis: a delivery sent to both is handled once.

Slack retries events and Telegram redelivers updates; behind a load balancer the copies can land
on different processes at the same moment. Two real `python -m adapters.cli serve` subprocesses
get the same signed Slack event and the same Telegram update at once, twice: the start of an
interview, then an answer to its first question. The fake Slack, Telegram and OpenAI servers run
in the test and record what the processes sent.

The processes use the production Redis namespace, which anything else on that Redis may share,
so every key they write carries this test's random tag (the bot id, the Slack user and event
ids) and the tagged keys are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.redis_store import redis_client
from adapters.settings import Settings
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from adapters.wiring import REDIS_NAMESPACE
from bot.events import Incoming
from core.actor import Channel
from core.demo import seed_demo
from core.identity import link_by_email
from core.models import ChatPlatform
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import (
    APP,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    event_callback,
    im_message,
    signed,
)
from tests.fakes.telegram_server import FakeTelegram, message_update
from tests.service_fixtures import seeding

TG_TEACHER = 70001  # teacher1's Telegram user id and private chat
SECRET = "two-serve-webhook-secret"
WITHIN = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Serve:
    """One `serve` subprocess and its log."""

    process: asyncio.subprocess.Process
    base: str
    log: Path

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    async def healthy(self) -> None:
        """Wait until GET /healthz answers 200."""
        deadline = time.monotonic() + WITHIN
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                assert self.process.returncode is None, self.output()
                assert time.monotonic() < deadline, f"never healthy:\n{self.output()}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.base}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)

    async def stop(self) -> int:
        """SIGTERM (the turns in flight finish first); the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), WITHIN)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode


async def start_serve(tmp_path: Path, name: str, settings: dict[str, str]) -> Serve:
    """`python -m adapters.cli serve` with only `settings` as Growth Engine configuration."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env |= settings | {"HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
                       "DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    workdir = tmp_path / name
    workdir.mkdir()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=workdir, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    return Serve(process, f"http://127.0.0.1:{port}", log)


async def to_both(
    http: aiohttp.ClientSession, urls: list[str], body: bytes, headers: dict[str, str]
) -> list[int]:
    """POST the same request to every URL at the same moment; the statuses."""

    async def post(url: str) -> int:
        async with http.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    return list(await asyncio.gather(*(post(url) for url in urls)))


async def until(condition: Callable[[], object], what: str) -> None:
    """Poll `condition` until it holds."""
    deadline = time.monotonic() + WITHIN
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def metric_lines(http: aiohttp.ClientSession, base: str) -> set[str]:
    """The lines of a process's /metrics."""
    async with http.get(f"{base}/metrics") as response:
        return set((await response.text()).splitlines())


async def delete_tagged_keys(url: str, tag: str) -> None:
    """Delete the production-namespace keys that carry `tag`."""
    client = redis_client(url)
    try:
        pattern = f"{REDIS_NAMESPACE}:*{tag}*"
        keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
        if keys:
            await client.unlink(*keys)
    finally:
        await client.aclose()


async def test_two_serve_processes_handle_the_same_slack_event_and_telegram_update_once(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    fake_ai: FakeOpenAI,
    raw: asyncpg.Connection,
) -> None:
    tag = str(random.randrange(10**8, 10**9))  # in every Redis key the processes write
    slack_user, dm = f"U{tag}", f"DU{tag}"
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    async with (
        FakeSlack() as fake_slack,
        FakeTelegram(token=f"{tag}:AAFakeTokenForTwoServeProcesses") as fake_tg,
    ):
        async with seeding(session_factory) as uow:
            assert await link_by_email(uow, ChatPlatform.TELEGRAM, tag, str(TG_TEACHER),
                                       "teacher1@demo.school", Channel("TELEGRAM"))  # fmt: skip
        # The Slack user is linked on first contact, by whichever process gets there.
        fake_slack.add_user(slack_user, "teacher2@demo.school", locale="en-US")
        settings = {
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.base_url, "SLACK_ALLOWED_TEAMS": TEAM,
            "TELEGRAM_BOT_TOKEN": fake_tg.token, "TELEGRAM_API_BASE_URL": fake_tg.base_url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake_ai.base_url,
            "DEFAULT_LANGUAGE": "he",
        }  # fmt: skip
        serves: list[Serve] = []
        try:
            for name in ("one", "two"):
                serves.append(await start_serve(tmp_path, name, settings))
            await asyncio.gather(*(s.healthy() for s in serves))
            async with aiohttp.ClientSession() as http:
                statuses = await _converse(http, serves, fake_slack, fake_tg, tag)
                for serve in serves:
                    lines = await metric_lines(http, serve.base)
                    assert {'ge_requests_total{platform="slack"} 2.0',
                            'ge_requests_total{platform="telegram"} 2.0'} <= lines  # fmt: skip
            codes = [await serve.stop() for serve in serves]  # both drain their turns
        finally:
            for serve in serves:
                await serve.stop()
            await delete_tagged_keys(redis_url, tag)
        for serve in serves:
            assert "Traceback" not in serve.output(), serve.output()
        assert codes == [0, 0], [serve.output() for serve in serves]
        assert statuses == [200] * 8

        # One reply per handled delivery: the interview's start, then the next question (on
        # Slack after the welcome of the account linked by its email at first contact).
        assert len(fake_tg.calls_to("sendMessage")) == 3
        assert len(fake_tg.texts(TG_TEACHER)) == 3
        assert len(fake_slack.messages()) == 4
        assert len(fake_slack.messages(dm)) == 4
        assert len(fake_ai.requests) == 4  # one question per handled delivery, per platform

    rows = await raw.fetch(
        "SELECT u.email, count(*) FILTER (WHERE c.role = 'USER') AS user_turns, "
        "count(*) FILTER (WHERE c.role = 'ASSISTANT') AS questions FROM analyses a "
        "JOIN users u ON u.id = a.teacher_id "
        "JOIN analysis_conversations c ON c.analysis_id = a.id GROUP BY u.email"
    )
    assert {r["email"]: (r["user_turns"], r["questions"]) for r in rows} == {
        "teacher1@demo.school": (1, 2),
        "teacher2@demo.school": (1, 2),
    }
    keys = [r["event_key"] for r in await raw.fetch("SELECT event_key FROM inbox_events")]
    tg = [Incoming(ChatPlatform.TELEGRAM, tag, str(TG_TEACHER), str(TG_TEACHER), event_id=str(n))
          for n in (1, 2)]  # fmt: skip
    slack = [Incoming(ChatPlatform.SLACK, TEAM, slack_user, dm, event_id=f"{APP}:Ev{tag}{n}")
             for n in ("A", "B")]  # fmt: skip
    assert sorted(keys) == sorted(event.event_key for event in tg + slack)
    identities = await raw.fetchval(
        "SELECT count(*) FROM chat_identities WHERE platform = 'SLACK' AND external_user_id = $1",
        slack_user,
    )
    assert identities == 1


async def _converse(
    http: aiohttp.ClientSession,
    serves: list[Serve],
    fake_slack: FakeSlack,
    fake_tg: FakeTelegram,
    tag: str,
) -> list[int]:
    """Start an interview on each platform, then answer it; every delivery goes to both."""
    slack_user, dm = f"U{tag}", f"DU{tag}"
    slack_urls = [f"{s.base}/slack/events" for s in serves]
    tg_urls = [f"{s.base}{WEBHOOK_PATH}" for s in serves]
    tg_headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    steps: list[tuple[str, str, int]] = [
        ("/analyze Liam", "analyze Lucas", 2),  # "starting the analysis" and the first question
        ("Liam loves reading and maps.", "Lucas loves experiments.", 3),  # the next question
    ]
    statuses: list[int] = []
    for (tg_text, slack_text, replies), n, event in zip(steps, (1, 2), "AB", strict=True):
        update = message_update(n, tg_text, user_id=TG_TEACHER)
        body = event_callback(im_message(slack_user, slack_text), f"Ev{tag}{event}")
        slack_headers = {"Content-Type": "application/json", **signed(body)}
        sent: list[Any] = await asyncio.gather(
            to_both(http, tg_urls, json.dumps(update).encode(), tg_headers),
            to_both(http, slack_urls, body.encode(), slack_headers),
        )
        statuses += [status for pair in sent for status in pair]
        await until(lambda r=replies: len(fake_tg.texts(TG_TEACHER)) >= r, "Telegram replies")
        await until(lambda r=replies: len(fake_slack.messages(dm)) > r, "Slack replies")
    return statuses
