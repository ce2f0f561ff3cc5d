"""Slack end to end: signed requests into the served app, real HTTP out to a fake Slack.

The app is built by `make_app` as `serve` builds it, on a random port; the dialogue engine runs
on the test's Postgres and Redis with the fake OpenAI. Nothing in the Slack clients is patched:
SLACK_API_URL points the Web API client at FakeSlack, which records every call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import aiohttp
import asyncpg
import pytest
import redis.asyncio
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.metrics import Metrics
from adapters.pacing import Pacer
from adapters.redis_store import RedisLocks, RedisSeenEvents
from adapters.serve import make_app
from adapters.settings import load_settings
from adapters.slack.client import SlackOut
from adapters.slack.deliver import SECTION_LIMIT, Target, deliver
from adapters.wiring import Wired
from bot.engine import DialogueEngine, DialogueSettings
from bot.events import Attachment, Button, Reply
from bot.help import command_list
from bot.i18n import isolate, t
from core.actor import Channel
from core.demo import STUDENTS, seed_demo
from core.identity import link_by_email
from core.models import ChatPlatform, UserRole
from tests.ai_clients import openai_provider
from tests.dialogue_fixtures import PRICES
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    block_action,
    buttons,
    event_callback,
    im_message,
    mention,
    signed,
    slash_command,
    text_of,
    view_submission,
)
from tests.hostile import deep, slack_event_malformed, slack_form_malformed
from tests.service_fixtures import seeding

TEACHER, STRANGER, CHANNEL = "U0TEACHER1", "U0STRANGER", "C0GENERAL"
DM = f"D{TEACHER}"
ACK_LIMIT = 3.0
FORM = "application/x-www-form-urlencoded"
# What the demo teacher (Slack locale he-IL) reads first, once linked by her confirmed email.
WELCOME = t("he", "link_done", name="דנה לוי") + "\n" + t("he", "first_contact")


@dataclass
class Rig:
    """The served app, and Slack's side: it signs and posts what Slack would."""

    fake: FakeSlack
    url: str
    http: aiohttp.ClientSession
    acks: list[tuple[int, float]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        """POST to /slack/events; returns the status and how long the answer took."""
        all_headers = {
            "Content-Type": content_type,
            **(signed(body) if headers is None else headers),
        }
        started = time.monotonic()
        async with self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=all_headers
        ) as response:
            await response.read()
            ack = (response.status, time.monotonic() - started)
        self.acks.append(ack)
        return ack

    async def dm(
        self,
        text: str,
        *,
        user: str = TEACHER,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> tuple[int, float]:
        """`user` types `text` in their DM with the bot (Events API `message.im`)."""
        body = event_callback(im_message(user, text), event_id or f"Ev{next(self.ids)}")
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            body, "application/json", {**signed(body), **(extra if retry else {})}
        )

    async def command(self, text: str, channel: str = DM, user: str = TEACHER) -> None:
        """`user` runs `/ge text` in `channel`."""
        n = next(self.ids)
        body = slash_command(
            user,
            channel,
            text,
            trigger_id=f"trig{n}",
            response_url=self.fake.response_url(f"cmd{n}"),
        )
        assert (await self.post(body, FORM))[0] == 200

    async def click(self, message: dict[str, object], action_id: str) -> None:
        """The teacher clicks a button of a posted message."""
        body = block_action(TEACHER, message, action_id, trigger_id=f"trig{next(self.ids)}")
        assert (await self.post(body, FORM))[0] == 200


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack Web API, with the demo teacher and a stranger as workspace members."""
    async with FakeSlack() as fake:
        fake.add_user(TEACHER, "Teacher1@demo.school", locale="he-IL")
        fake.add_user(STRANGER, "stranger@elsewhere.example")
        yield fake


def slow_ai_engine(
    session_factory: async_sessionmaker[AsyncSession],
    fake_ai: FakeOpenAI,
    client: redis.asyncio.Redis,
    namespace: str,
) -> DialogueEngine:
    """An engine like production's whose AI client waits long enough for a 10 s answer."""
    ai = openai_provider(
        api_key="test-key",
        base_url=fake_ai.base_url,
        model="gpt-4o-mini",
        timeout_seconds=20,
        max_retries=0,
        backoff_base_seconds=0.01,
    )
    return DialogueEngine(
        session_factory=session_factory,
        ai=ai,
        locks=RedisLocks(client, namespace=namespace, lease_seconds=30, wait_seconds=30),
        seen=RedisSeenEvents(client, namespace=namespace),
        prices=PRICES,
        settings=DialogueSettings(min_questions=2, max_questions=4),
    )


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve `app` on 127.0.0.1 at a random port."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def slack(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    fake_ai: FakeOpenAI,
    fake_slack: FakeSlack,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Rig]:
    """The demo school (no Slack account linked yet) served as `serve` does, Slack configured."""
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    socket_mode = getattr(request, "param", None) == "socket-mode"
    settings = load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_APP_TOKEN=APP_TOKEN if socket_mode else None,
        SLACK_API_URL=fake_slack.base_url,
        SLACK_ALLOWED_TEAMS=frozenset({TEAM}),
        TELEGRAM_BOT_TOKEN=None,
        DEFAULT_LANGUAGE="he",
    )
    dialogue = slow_ai_engine(session_factory, fake_ai, redis_client, redis_namespace)
    app = make_app(settings, Wired(dialogue, engine, redis_client), Metrics())
    runner, url = await serve(app)
    async with aiohttp.ClientSession() as http:
        yield Rig(fake_slack, url, http)
    await runner.cleanup()  # drains the turns in flight


async def count_rows(raw: asyncpg.Connection) -> dict[str, int]:
    """Row counts of every table a Slack turn can write."""
    tables = (
        "chat_identities",
        "inbox_events",
        "dialogue_states",
        "analyses",
        "analysis_conversations",
        "audit_logs",
    )
    return {name: await raw.fetchval(f"SELECT count(*) FROM {name}") for name in tables}


async def test_a_teacher_runs_a_whole_analysis_from_first_contact_to_save_in_dms_and_buttons(
    slack: Rig, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    fake = slack.fake
    await slack.dm("analyze O")  # Olivia Brown and Liam O'Brien: choices as buttons
    welcome, choose = await fake.wait_messages(DM, 2)
    # Linked by the confirmed email just now: a welcome that says how to switch language.
    assert text_of(welcome) == WELCOME
    assert fake.called("users.info") == [{"user": TEACHER, "include_locale": "1"}]
    liam = next(action for label, action in buttons(choose).items() if "Liam" in label)
    assert liam.startswith("ge:choose:")

    fake_ai.push_question("What does Student A enjoy most in class?")
    await slack.click(choose, liam)
    started, question = (await fake.wait_messages(DM, 4))[2:]
    assert "Liam O'Brien" in text_of(started) and "מתחילים ניתוח" in text_of(started)
    assert text_of(question) == "What does Liam enjoy most in class?"

    fake_ai.push_question("Where does Student A struggle?")
    await slack.dm("Liam loves reading and maps.")
    question = (await fake.wait_messages(DM, 5))[4]
    assert buttons(question) == {t("he", "finish_button"): "ge:finish"}

    await slack.click(question, "ge:finish")
    generating, review = (await fake.wait_messages(DM, 7))[5:]
    assert text_of(generating) == t("he", "generating")
    assert "Liam reads fluently." in text_of(review)
    assert {"ge:save", "ge:edit:strengths", "ge:flag", "ge:note", "ge:discard"} <= set(
        buttons(review).values()
    )

    await slack.click(review, "ge:edit:strengths")
    await fake.wait_for(lambda: fake.called("views.open"))
    [opened] = fake.called("views.open")
    assert opened["trigger_id"].startswith("trig")
    assert opened["view"]["title"]["text"] == "עריכת חוזקות"  # the conversation's language
    view = {**opened["view"], "id": "V0EDIT"}
    body = view_submission(TEACHER, view, {"section_text": {"text": "קורא בשטף\nLoves maps"}})
    assert (await slack.post(body, FORM))[0] == 200
    edited, review = (await fake.wait_messages(DM, 9))[7:]
    assert "חוזקות" in text_of(edited)
    assert "• קורא בשטף\n• Loves maps" in text_of(review)

    await slack.click(review, "ge:save")
    saved = (await fake.wait_messages(DM, 10))[9]
    assert "הושלם" in text_of(saved)

    assert all(status == 200 and took < ACK_LIMIT for status, took in slack.acks), slack.acks
    assert len(fake.called("users.info")) == 1  # first contact only
    assert {m["channel"] for m in fake.messages()} == {DM}
    identity = await raw.fetchrow(
        "SELECT i.workspace_id, i.external_user_id, u.email FROM chat_identities i "
        "JOIN users u ON u.id = i.user_id"
    )
    assert tuple(identity) == (TEAM, TEACHER, "teacher1@demo.school")
    analysis = await raw.fetchrow("SELECT status::text, teacher_edits FROM analyses")
    assert analysis["status"] == "COMPLETED"
    assert json.loads(analysis["teacher_edits"])["strengths"] == ["קורא בשטף", "Loves maps"]
    turns = await raw.fetch(
        "SELECT role::text, sequence_number FROM analysis_conversations ORDER BY sequence_number"
    )
    assert [r["sequence_number"] for r in turns] == list(range(1, len(turns) + 1))
    assert [r["role"] for r in turns] == ["SYSTEM", "ASSISTANT", "USER", "ASSISTANT", "ASSISTANT"]
    async with slack.http.get(f"{slack.url}/metrics") as response:
        metrics = await response.text()
    assert 'ge_requests_total{platform="slack"} 7.0' in metrics
    assert 'ge_turns_total{platform="slack"} 6.0' in metrics
    assert "Liam" not in fake_ai.all_sent_text()


async def test_first_contact_answers_in_the_slack_locale_and_says_how_to_switch(
    slack: Rig,
) -> None:
    # teacher2 has chosen no language and the school speaks Hebrew; Slack says en-US.
    teacher2 = "U0TEACHER2"
    slack.fake.add_user(teacher2, "teacher2@demo.school", locale="en-US")
    await slack.dm("students", user=teacher2)
    welcome, listing = await slack.fake.wait_messages(f"D{teacher2}", 2)
    assert text_of(welcome).startswith("Welcome, \u2066Michael Green\u2069!")
    assert t("en", "first_contact") in text_of(welcome)  # "write `lang he` to switch"
    assert text_of(listing).startswith(t("en", "students_title"))
    await slack.dm("lang he", user=teacher2)  # the person's own choice wins from now on
    await slack.dm("students", user=teacher2)
    chosen = (await slack.fake.wait_messages(f"D{teacher2}", 4))[3]
    assert text_of(chosen).startswith(t("he", "students_title"))
    assert len(slack.fake.called("users.info")) == 1


async def test_an_account_linked_before_answers_in_its_slack_locale_until_a_language_is_chosen(
    slack: Rig, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # Linked in an earlier process (no users.info cached here), no language of their own yet.
    teacher2 = "U0TEACHER2"
    slack.fake.add_user(teacher2, "teacher2@demo.school", locale="en-GB")
    async with seeding(session_factory) as uow:
        channel = Channel("SLACK", f"D{teacher2}", TEAM)
        assert await link_by_email(
            uow, ChatPlatform.SLACK, TEAM, teacher2, "teacher2@demo.school", channel
        )
    await slack.dm("help", user=teacher2)
    await slack.dm("history", user=teacher2)
    listing, asked = await slack.fake.wait_messages(f"D{teacher2}", 2)
    assert text_of(listing) == command_list("en", UserRole.TEACHER)
    assert text_of(asked).startswith("Whose history?")
    assert slack.fake.called("users.info") == [{"user": teacher2, "include_locale": "1"}]


async def test_every_request_is_acknowledged_within_3_seconds_while_the_ai_takes_10(
    slack: Rig, fake_ai: FakeOpenAI
) -> None:
    await slack.dm("help")  # first contact (users.info, link, welcome) out of the way
    await slack.fake.wait_messages(DM, 2)
    fake_ai.push_delay(10)
    fake_ai.push_question("What does Student A enjoy most in class?")
    sent = time.monotonic()
    status, took = await slack.dm("analyze Liam")
    assert status == 200 and took < ACK_LIMIT
    await slack.command("students")  # queued behind the slow turn, but acknowledged at once
    assert all(took < ACK_LIMIT for _, took in slack.acks), slack.acks
    messages = await slack.fake.wait_messages(DM, 6, within=25)
    working, question, queued = messages[2], *messages[4:]
    assert time.monotonic() - sent >= 10
    assert text_of(working) == t("he", "still_working")  # shown while the model is slow
    assert text_of(question) == "What does Liam enjoy most in class?"
    # Handled after the slow turn, in order: a slashed command runs aside mid-interview.
    assert text_of(queued).startswith(t("he", "students_title"))


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: signed(body, secret="not-the-secret"), id="bad-signature"),
        pytest.param(lambda body: signed(body, at=time.time() - 6 * 60), id="stale-timestamp"),
        pytest.param(lambda body: {}, id="unsigned"),
    ],
)
async def test_a_request_without_a_valid_fresh_signature_gets_401_and_changes_nothing(
    slack: Rig, raw: asyncpg.Connection, headers: Callable[[str], dict[str, str]]
) -> None:
    before = await count_rows(raw)
    body = event_callback(im_message(TEACHER, "analyze Liam"), "EvForged")
    assert (await slack.post(body, "application/json", headers(body)))[0] == 401
    await asyncio.sleep(0.5)
    assert slack.fake.calls == []
    assert await count_rows(raw) == before


async def test_a_slack_retry_of_a_handled_event_is_acknowledged_and_not_handled_again(
    slack: Rig, raw: asyncpg.Connection
) -> None:
    assert (await slack.dm("students", event_id="Ev1"))[0] == 200
    await slack.fake.wait_messages(DM, 2)  # the first contact's welcome, then the list
    assert (await slack.dm("students", event_id="Ev1", retry=1))[0] == 200
    # A retry arriving while the original is still being handled is not handled twice either.
    both = [slack.dm("help", event_id="Ev2"), slack.dm("help", event_id="Ev2", retry=1)]
    assert [status for status, _ in await asyncio.gather(*both)] == [200, 200]
    await slack.fake.wait_messages(DM, 3)
    await asyncio.sleep(1.5)
    assert len(slack.fake.messages(DM)) == 3
    assert await raw.fetchval("SELECT count(*) FROM inbox_events") == 2


async def test_a_retry_whose_original_never_arrived_is_handled_normally(slack: Rig) -> None:
    assert (await slack.dm("help", event_id="EvLost", retry=2))[0] == 200
    welcome, reply = await slack.fake.wait_messages(DM, 2)
    assert text_of(welcome) == WELCOME
    assert text_of(reply) == command_list("he", UserRole.TEACHER)


async def _in_channel(slack: Rig, how: str) -> None:
    if how == "command":
        await slack.command("students", channel=CHANNEL)
    else:
        body = event_callback(mention(TEACHER, CHANNEL, "students"), "EvMention")
        assert (await slack.post(body, "application/json"))[0] == 200


@pytest.mark.parametrize("how", ["command", "mention"])
async def test_students_asked_in_a_channel_get_a_one_line_notice_there_and_the_list_in_the_dm(
    slack: Rig, how: str
) -> None:
    fake = slack.fake
    await _in_channel(slack, how)
    welcome, listing = await fake.wait_messages(DM, 2)  # the welcome is private too
    assert text_of(welcome) == WELCOME
    # Two chats, two senders: the channel's notice may land just after the DM's list.
    await fake.wait_for(lambda: fake.messages(CHANNEL) + fake.called("response_url"))
    assert fake.called("conversations.open") == [{"users": TEACHER}]
    assert "Liam O'Brien" in text_of(listing) and "בן-ציון כהן" in text_of(listing)
    public = fake.messages(CHANNEL) + fake.called("response_url")
    assert [text_of(m) for m in public] == [t("he", "private_notice")]
    if how == "command":
        assert public[0]["response_type"] == "in_channel"
    names = {part for first, last in STUDENTS for part in (first, last)}
    shown = json.dumps(public, ensure_ascii=False)
    assert not [name for name in names if name in shown]


@pytest.mark.parametrize(
    ("email", "key"),
    [("stranger@elsewhere.example", "slack_no_account"), (None, "slack_no_email")],
    ids=["unknown-email", "no-email-visible"],
)
async def test_a_slack_user_without_an_account_is_told_how_to_get_access_and_not_linked(
    slack: Rig, raw: asyncpg.Connection, email: str | None, key: str
) -> None:
    slack.fake.add_user(STRANGER, email)
    await slack.dm("analyze Liam", user=STRANGER)
    [reply] = await slack.fake.wait_messages(f"D{STRANGER}", 1)
    assert text_of(reply) == t("en", key, email=isolate("stranger@elsewhere.example"))
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0
    assert await raw.fetchval("SELECT count(*) FROM dialogue_states") == 0


async def test_a_429_from_chat_post_message_is_waited_out_and_the_reply_delivered(
    slack: Rig,
) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    await slack.dm("help")
    _welcome, reply = await slack.fake.wait_messages(DM, 2)
    assert text_of(reply) == command_list("he", UserRole.TEACHER)
    limited, delivered, _ = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 1.0


async def test_long_replies_are_split_and_attachments_uploaded_to_the_same_chat(
    fake_slack: FakeSlack,
) -> None:
    paragraph = "שורה בעברית with English words, and more. " * 30
    text = "\n\n".join([paragraph] * 8)
    chart = Attachment("chart.png", b"\x89PNG fake chart", "image/png")
    reply = Reply(text, (Button("שמירה", "save"),), attachments=(chart,))
    out = SlackOut(
        AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.base_url), Pacer(per_chat_seconds=0)
    )
    await deliver(out, [reply], Target(dm=DM, channel=DM))
    posted = fake_slack.messages(DM)
    assert len(posted) > 1
    assert all(len(text_of(m)) <= SECTION_LIMIT for m in posted)
    assert " ".join(text_of(m) for m in posted).split() == text.split()  # nothing lost
    assert [buttons(m) for m in posted] == [{}] * (len(posted) - 1) + [{"שמירה": "ge:save"}]
    [completed] = fake_slack.called("files.completeUploadExternal")
    assert completed["channel_id"] == DM
    assert list(fake_slack.uploads.values()) == [chart.content]


@pytest.mark.parametrize("slack", ["socket-mode"], indirect=True)
async def test_socket_mode_receives_events_over_the_websocket_when_an_app_token_is_set(
    slack: Rig,
) -> None:
    fake = slack.fake
    await fake.wait_for(lambda: fake.called("apps.connections.open"))
    await fake.wait_for(lambda: fake.connected)
    payload = json.loads(event_callback(im_message(TEACHER, "help"), "EvSocket"))
    await fake.socket_send(
        {
            "envelope_id": "env-1",
            "type": "events_api",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
        }
    )
    reply = (await fake.wait_messages(DM, 2))[1]  # after the first contact's welcome
    assert text_of(reply) == command_list("he", UserRole.TEACHER)
    assert {"envelope_id": "env-1"}.items() <= fake.socket_acks[0].items()


def _socket_payloads(kind: str, texts: list[str]) -> list[dict[str, object]]:
    """Socket Mode envelopes of `kind` for each of `texts` that parses as JSON at all."""
    envelopes = []
    for n, text in enumerate(texts):
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            continue  # a websocket message is JSON already: the parser before ours refuses it
        envelopes.append({"envelope_id": f"{kind}-{n}", "type": kind, "payload": payload,
                          "accepts_response_payload": False, "retry_attempt": 0})  # fmt: skip
    return envelopes


@pytest.mark.parametrize("slack", ["socket-mode"], indirect=True)
async def test_socket_mode_payloads_are_checked_and_cleaned_like_webhook_bodies(
    slack: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake = slack.fake
    await fake.wait_for(lambda: fake.connected)
    good = json.loads(event_callback(im_message(TEACHER, "help"), "EvGood"))
    interaction = {"type": "block_actions", "user": {"id": TEACHER}, "trigger_id": "t",
                   "actions": [{"action_id": "ge:save"}], "channel": {"id": DM}}  # fmt: skip
    command = {"command": "/ge", "user_id": TEACHER, "channel_id": DM, "trigger_id": "t1"}
    forms = [parse_qs(text).get("payload", [""])[0]
             for text in slack_form_malformed(interaction, command)]  # fmt: skip
    bad = _socket_payloads("events_api", slack_event_malformed(good))
    bad += _socket_payloads("interactive", forms)
    bad += _socket_payloads("slash_commands", ['{"command": "/ge"}', "[]", json.dumps(
        {**command, "user_id": 7})])  # fmt: skip
    bad += _socket_payloads("events_api", [deep(80)])  # under the parser's limit, over ours
    assert len(bad) >= 30
    for envelope in bad:
        await fake.socket_send(envelope)
    # NUL and a lone surrogate are taken out before the turn is stored: "help" is answered.
    hostile = json.loads(event_callback(im_message(TEACHER, "he\x00lp\ud800"), "EvHostile"))
    [envelope] = _socket_payloads("events_api", [json.dumps(hostile)])
    await fake.socket_send(envelope)

    reply = (await fake.wait_messages(DM, 2))[1]  # after the first contact's welcome
    # The lone surrogate became U+FFFD, so the word is not "help" as typed: help is offered.
    assert t("he", "did_you_mean_typo", text="he\ufffdlp\ufffd", word="help") in text_of(reply)
    await fake.wait_for(lambda: len(fake.socket_acks) == len(bad) + 1)
    acked = {ack["envelope_id"] for ack in fake.socket_acks}
    assert acked == {e["envelope_id"] for e in [*bad, envelope]}, "every envelope acknowledged"
    refused = [r for r in caplog.records if "refused a Socket Mode" in r.getMessage()]
    assert len(refused) == len(bad)
    trouble = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert trouble == []
    await asyncio.sleep(0.5)
    assert len(fake.messages()) == 2, "nothing refused ran (the welcome and the one answer)"
