"""Hostile input through `serve`'s real HTTP endpoints: refused or answered, never a crash.

One app as `serve` builds it, Slack and Telegram both configured against their fakes, the fake
OpenAI behind the dialogue. 1,000 hostile texts (NUL, lone surrogates, bidi overrides,
zero-width, huge, JSON-looking, control characters, mixed scripts...) are typed by a linked
teacher into Telegram and Slack, through every state of an analysis; then at least 20
malformed bodies per endpoint. Every text gets an answer, every malformed body a 400 (401
unsigned), and the logs hold no error and no traceback.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import aiohttp
import asyncpg
import pytest
import redis.asyncio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.http_app import TASKS_KEY
from adapters.metrics import Metrics
from adapters.serve import make_app
from adapters.settings import load_settings
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from adapters.wiring import Wired
from core.actor import Channel
from core.db import make_engine as make_db_engine
from core.db import make_session_factory
from core.demo import seed_demo
from core.identity import link_by_email
from core.models import ChatPlatform
from tests.dialogue_fixtures import make_engine
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    event_callback,
    im_message,
    signed,
    slash_command,
)
from tests.fakes.telegram_server import FakeTelegram, message_update
from tests.hostile import (
    hostile_texts,
    slack_event_malformed,
    slack_form_malformed,
    telegram_malformed,
)
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
SECRET = "webhook-secret-for-tests"
TG_TEACHER = 70001
SLACK_TEACHER = "U0TEACHER1"
DM = f"D{SLACK_TEACHER}"
FORM = "application/x-www-form-urlencoded"
TEXTS = 1000
# Replies are paced at one a second per chat, so the texts are typed in many chats at once:
# CHATS Telegram accounts and CHATS Slack users, all linked to teacher1, each a conversation.
CHATS = 25
# Every so many texts a chat cancels and starts an analysis: its next texts are answers, then
# review commands. Hostile text meets every state.
CYCLE = ("cancel", "analyze Liam")
CYCLE_EVERY = 20
REPLY_WITHIN = 90.0


@dataclass
class Rig:
    """The served app with both platforms, and the clients that post as the platforms do."""

    app: web.Application
    root: str
    http: aiohttp.ClientSession
    tg: FakeTelegram
    slack: FakeSlack
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def drained(self) -> None:
        await self.app[TASKS_KEY].drain()

    async def telegram_raw(self, body: bytes, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with self.http.post(self.root + WEBHOOK_PATH, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def telegram_text(self, text: str, user_id: int = TG_TEACHER) -> int:
        update = message_update(next(self.ids), text, user_id=user_id, language_code="en")
        # ensure_ascii: a lone surrogate travels as the \\ud800 escape, as JSON allows.
        return await self.telegram_raw(json.dumps(update).encode())

    async def slack_raw(self, body: str, content_type: str, *, sign: bool = True) -> int:
        data = body.encode("utf-8", errors="surrogatepass")
        headers = {"Content-Type": content_type, **(signed(body) if sign else {})}
        async with self.http.post(self.root + "/slack/events", data=data, headers=headers) as r:
            await r.read()
            return r.status

    async def slack_text(self, text: str, user: str = SLACK_TEACHER) -> int:
        body = event_callback(im_message(user, text), f"Ev{next(self.ids)}")
        return await self.slack_raw(json.dumps(json.loads(body)), "application/json")

    def replies(self, chat: int | str) -> int:
        """Messages sent so far to a Telegram chat (int) or a Slack DM (str)."""
        if isinstance(chat, int):
            return sum(1 for sent in self.tg.sent if sent.chat_id == chat)
        return len(self.slack.messages(chat))


@pytest.fixture
async def rig(
    database_url: str, fake_ai: FakeOpenAI, redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> AsyncIterator[Rig]:
    """The demo school, teacher1 linked on Telegram and known to Slack, `serve`'s app."""
    # A pool for 2 * CHATS conversations at once (the fixtures' engine has 5 connections).
    engine = make_db_engine(database_url, pool_size=CHATS)
    session_factory = make_session_factory(engine)
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    async with FakeTelegram() as tg, FakeSlack() as slack:
        for n in range(CHATS):
            slack.add_user(f"{SLACK_TEACHER}{n or ''}", "teacher1@demo.school", locale="en-US")
            async with seeding(session_factory) as uow:
                assert await link_by_email(uow, ChatPlatform.TELEGRAM, str(tg.bot_id),
                                           str(TG_TEACHER + n), "teacher1@demo.school",
                                           Channel("TELEGRAM"))
        settings = load_settings(
            TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_BASE_URL=tg.base_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET, SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
            SLACK_ALLOWED_TEAMS=frozenset({TEAM}),
            DEFAULT_LANGUAGE="he")
        dialogue = make_engine(session_factory, fake_ai, redis_client, redis_namespace,
                               min_questions=2, max_questions=3)
        app = make_app(settings, Wired(dialogue, engine, redis_client), Metrics())
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as http:
            yield Rig(app, f"http://{host}:{port}", http, tg, slack)
        await runner.cleanup()
    await engine.dispose()


def _trouble(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records that are errors or carry a traceback."""
    return [
        f"{r.name}: {r.getMessage()[:300]}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info is not None
    ]


@dataclass
class Typist:
    """One chat typing its share of the texts, each after the previous one was answered."""

    rig: Rig
    chat: int | str  # a Telegram user id, or a Slack user id
    statuses: list[int] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    @property
    def inbox(self) -> int | str:
        return self.chat if isinstance(self.chat, int) else f"D{self.chat}"

    async def send(self, text: str) -> None:
        before = self.rig.replies(self.inbox)
        if isinstance(self.chat, int):
            status = await self.rig.telegram_text(text, self.chat)
        else:
            status = await self.rig.slack_text(text, self.chat)
        self.statuses.append(status)
        started = time.monotonic()
        while self.rig.replies(self.inbox) == before:
            if time.monotonic() > started + REPLY_WITHIN:
                self.unanswered.append(repr(text[:80]))
                return
            await asyncio.sleep(0.05)
        self.slowest.append((time.monotonic() - started, repr(text[:60])))

    async def type(self, texts: list[str], offset: int) -> None:
        """Type `texts`, cancelling and starting an analysis at `offset`, then every CYCLE_EVERY.

        Chats start at different offsets: analysis starts take the school's quota lock one by
        one, and fifty at the same moment only measure that queue.
        """
        await self.send("lang en")
        for n, text in enumerate(texts):
            if (n - offset) % CYCLE_EVERY == 0:
                for command in CYCLE:
                    await self.send(command)
            await self.send(text)


async def test_a_thousand_hostile_texts_are_each_answered_with_no_error_logged(
    rig: Rig, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    texts = list(hostile_texts(TEXTS))
    assert len(texts) == TEXTS
    chats: list[int | str] = [TG_TEACHER + n for n in range(CHATS)]
    chats += [f"{SLACK_TEACHER}{n or ''}" for n in range(CHATS)]
    typists = [Typist(rig, chat) for chat in chats]
    started = time.monotonic()
    try:
        async with asyncio.timeout(300):
            await asyncio.gather(*(
                typist.type(texts[n :: len(typists)], n % CYCLE_EVERY)
                for n, typist in enumerate(typists)
            ))
    finally:  # with -s: how long the slowest answers took (the pace is one a second per chat)
        waits = sorted((w for t in typists for w in t.slowest), reverse=True)
        print(f"slowest answers: {[(round(s, 1), text) for s, text in waits[:5]]}")
    await rig.drained()
    took = time.monotonic() - started

    assert {status for typist in typists for status in typist.statuses} == {200}
    assert [text for typist in typists for text in typist.unanswered] == []
    assert _trouble(caplog) == []
    assert _metric_lines(rig.app, "ge_errors_total") == ""
    # The texts reached the dialogue: interviews were started and answers stored, cleaned.
    # Few answers are stored: the fifty chats are one teacher's, and a `cancel` in any of them
    # drops that teacher's latest unfinished analysis, which ends another chat's interview
    # (that chat hears `analysis_closed` once, not "not possible" for every later text).
    # Since a command word split by an invisible character ("ana\u200blyze") alone in an
    # interview is asked about rather than stored, a run may store none; NUL cleaning of an
    # answer is shown deterministically in tests/unit/test_cleaning.py.
    answers = await raw.fetch("SELECT content FROM analysis_conversations WHERE role = 'USER'")
    assert not any("\x00" in r["content"] for r in answers)
    assert await raw.fetchval("SELECT count(*) FROM analyses") > 20
    print(f"{TEXTS} hostile texts in {took:.1f}s")


def _metric_lines(app: web.Application, name: str) -> str:
    from adapters.http_app import METRICS_KEY

    text = app[METRICS_KEY].render().decode()
    return "\n".join(
        line for line in text.splitlines()
        if name in line and not line.startswith("#") and not line.endswith(" 0.0")
    )  # fmt: skip


async def test_malformed_telegram_bodies_get_400_and_wrong_secrets_401(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    good = message_update(1, "hello", user_id=TG_TEACHER)
    bodies = telegram_malformed(1, good)
    assert len(bodies) >= 20
    got = {body[:60]: await rig.telegram_raw(body.encode()) for body in bodies}
    got["not utf-8"] = await rig.telegram_raw(b'{"update_id": 1, "x": "\xff\xfe"}')
    assert {body: status for body, status in got.items() if status != 400} == {}
    too_big = b'{"update_id": 1, "pad": "' + b"x" * (2 * 1024**2) + b'"}'
    assert await rig.telegram_raw(too_big) == 413
    for secret in (None, "wrong", "w\u00e9rong", ""):
        assert await rig.telegram_raw(b"{", secret=secret) == 401
    await rig.drained()
    assert rig.tg.sent_to(TG_TEACHER) == []
    assert _trouble(caplog) == []


async def test_malformed_slack_bodies_get_400_when_signed_and_401_when_not(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    good_event = json.loads(event_callback(im_message(SLACK_TEACHER, "hi"), "Ev1"))
    command = {k: v[0] for k, v in parse_qs(slash_command(
        SLACK_TEACHER, DM, "help", trigger_id="t1", response_url="http://x.invalid/r")).items()}
    payload = {"type": "block_actions", "user": {"id": SLACK_TEACHER}, "trigger_id": "t",
               "actions": [{"action_id": "ge:save"}], "channel": {"id": DM}}
    events = slack_event_malformed(good_event)
    forms = slack_form_malformed(payload, command)
    assert len(events) >= 20 and len(forms) >= 20
    wrong: dict[str, int] = {}
    for body in events:
        for sign, expected in ((True, 400), (False, 401)):
            status = await rig.slack_raw(body, "application/json", sign=sign)
            if status != expected:
                wrong[f"{sign} {body[:60]}"] = status
    for body in forms:
        for sign, expected in ((True, 400), (False, 401)):
            status = await rig.slack_raw(body, FORM, sign=sign)
            if status != expected:
                wrong[f"{sign} {body[:60]}"] = status
    # The three: unsigned `{`, `null` and `payload=%7B`.
    for body, kind in (("{", "application/json"), ("null", "application/json"),
                       ("payload=%7B", FORM)):
        if (status := await rig.slack_raw(body, kind, sign=False)) != 401:
            wrong[f"unsigned {body}"] = status
    stale = {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=ü"}
    async with rig.http.post(rig.root + "/slack/events", data=b"{}", headers=stale) as resp:
        if resp.status != 401:
            wrong["odd signature headers"] = resp.status
    assert wrong == {}
    await rig.drained()
    assert rig.slack.messages() == []
    assert _trouble(caplog) == []
