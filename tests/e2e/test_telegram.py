"""Telegram end to end: real Update JSON into `serve`, real PTB HTTP out to a fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import aiohttp
import asyncpg
import pytest
import redis.asyncio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot

from adapters.http_app import METRICS_KEY, PIPELINE_KEY
from adapters.metrics import Metrics
from adapters.pacing import Pacer
from adapters.serve import make_app
from adapters.settings import Settings, load_settings
from adapters.telegram.application import COMMANDS
from adapters.telegram.delivery import Outbox, split_text, to_html, units
from adapters.telegram.polling import run_polling
from adapters.telegram.transport import AiohttpRequest
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from adapters.wiring import Wired
from bot.events import Attachment, Button, Reply
from bot.i18n import t
from core.actor import Channel, system_actor
from core.demo import seed_demo
from core.identity import link_by_email
from core.models import ChatPlatform
from core.services.linking import create_link_code
from tests.dialogue_fixtures import make_engine
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_server import (
    FakeTelegram,
    Sent,
    callback_update,
    group_chat,
    message_update,
)
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
SECRET = "webhook-secret-for-tests"
TEACHER = 70001  # teacher1's Telegram user id (and private chat id)
STRANGER = 70999
GROUP = -1001234567
CHAT = 424242

# Linked: the welcome, then how to change the language (the first thing the person reads).
WELCOME = t("he", "link_done", name="דנה לוי") + "\n" + t("he", "first_contact")


def _settings(fake: FakeTelegram) -> Settings:
    return load_settings(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        DEFAULT_LANGUAGE="he",
    )


@dataclass
class Served:
    """`serve`'s app on a random port, posting updates the way Telegram does."""

    app: web.Application
    url: str
    http: aiohttp.ClientSession
    fake: FakeTelegram
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(self, update: dict[str, Any], *, secret: str | None = SECRET) -> int:
        """POST one update, then wait for the work spawned after the ack."""
        headers = {} if secret is None else {SECRET_HEADER: secret}
        async with self.http.post(self.url, json=update, headers=headers) as response:
            status = response.status
        await self.app[PIPELINE_KEY].idle()
        return status

    async def say(self, text: str, *, user_id: int = TEACHER, **kwargs: Any) -> int:
        """A user's text message."""
        return await self.post(message_update(next(self.ids), text, user_id=user_id, **kwargs))

    async def press(self, action: str, on: Sent, *, user_id: int = TEACHER) -> int:
        """A button press on a message the bot sent."""
        assert action in {a for _, a in on.buttons}, on.buttons
        update = callback_update(next(self.ids), action, user_id=user_id, message=on.message)
        return await self.post(update)


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server."""
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def served(
    engine: AsyncEngine,
    session_factory: Factory,
    fake_ai: FakeOpenAI,
    fake_tg: FakeTelegram,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> AsyncIterator[Served]:
    """The demo school, and `serve` with Telegram configured against the fakes."""
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    dialogue = make_engine(
        session_factory, fake_ai, redis_client, redis_namespace, min_questions=2, max_questions=4
    )
    app = make_app(_settings(fake_tg), Wired(dialogue, engine, redis_client), Metrics())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Served(app, f"http://{host}:{port}{WEBHOOK_PATH}", http, fake_tg)
    await runner.cleanup()


async def _link(factory: Factory, fake: FakeTelegram, user_id: int = TEACHER) -> None:
    async with seeding(factory) as uow:
        assert await link_by_email(
            uow,
            ChatPlatform.TELEGRAM,
            str(fake.bot_id),
            str(user_id),
            "teacher1@demo.school",
            Channel("TELEGRAM"),
        )


async def _code(factory: Factory, email: str = "teacher1@demo.school") -> str:
    async with seeding(factory) as uow:
        return await create_link_code(uow=uow, actor=system_actor(), email=email)


async def test_teacher_links_with_a_start_code_and_saves_an_analysis_through_buttons(
    served: Served,
    fake_tg: FakeTelegram,
    fake_ai: FakeOpenAI,
    session_factory: Factory,
    raw: asyncpg.Connection,
) -> None:
    code = await _code(session_factory)
    assert await served.say(f"/start {code}") == 200
    assert fake_tg.texts(TEACHER) == [WELCOME]
    await served.say("/lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await served.say("/analyze Liam")
    started, question = fake_tg.sent_to(TEACHER)[-2:]
    assert "Liam O'Brien" in started.text
    assert question.text == "What does Liam enjoy most in class?"
    assert question.buttons == [("Finish", "finish")]
    fake_ai.push_question("Where does Student A struggle?")
    await served.say("Liam loves reading and maps.")
    assert "struggle" in fake_tg.texts(TEACHER)[-1]
    fake_ai.push_done()
    fake_ai.push_analysis(
        {
            "strengths": ["Student A reads fluently"],
            "weaknesses": ["Focus"],
            "recommendations": ["Short steps"],
            "learningStyle": "Visual",
            "confidence": 0.8,
        }
    )
    await served.say("Long written tasks are hard for him.")
    review = fake_tg.sent_to(TEACHER)[-1]
    assert "Liam reads fluently" in review.text and "AI-generated draft" in review.text
    assert {"save", "flag", "note", "discard", "edit:strengths"} <= {a for _, a in review.buttons}
    await served.press("save", review)
    assert "complete" in fake_tg.texts(TEACHER)[-1]

    answered = fake_tg.calls_to("answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered] == [f"cbq-{next(served.ids) - 1}"]
    assert all(c.params["parse_mode"] == "HTML" for c in fake_tg.calls_to("sendMessage"))
    rows = await raw.fetch(
        "SELECT role::text, sequence_number, content FROM "
        "analysis_conversations ORDER BY sequence_number"
    )
    assert [(r["role"], r["sequence_number"]) for r in rows] == [
        ("SYSTEM", 1),
        ("ASSISTANT", 2),
        ("USER", 3),
        ("ASSISTANT", 4),
        ("USER", 5),
        ("ASSISTANT", 6),
    ]
    assert rows[2]["content"] == "Liam loves reading and maps."
    assert await raw.fetchval("SELECT status::text FROM analyses") == "COMPLETED"
    identity = await raw.fetchrow(
        "SELECT c.*, u.email FROM chat_identities c JOIN users u ON u.id = c.user_id"
    )
    assert (
        identity["platform"],
        identity["workspace_id"],
        identity["external_user_id"],
        identity["email"],
    ) == ("TELEGRAM", str(fake_tg.bot_id), str(TEACHER), "teacher1@demo.school")
    login = await raw.fetchrow("SELECT * FROM audit_logs WHERE action = 'LOGIN'")
    assert login["user_email"] == "teacher1@demo.school"
    assert f'"chatId": "{TEACHER}"' in login["metadata"]
    assert "O'Brien" not in fake_ai.all_sent_text()


async def test_a_wrong_or_missing_secret_gets_401_and_nothing_is_processed(
    served: Served, fake_tg: FakeTelegram, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    await _link(session_factory, fake_tg)
    audit_rows = await raw.fetchval("SELECT count(*) FROM audit_logs")
    for secret in ("not-the-secret", None):
        assert (
            await served.post(message_update(5, "/students", user_id=TEACHER), secret=secret) == 401
        )
    assert fake_tg.calls_to("sendMessage") == []
    assert await raw.fetchval("SELECT count(*) FROM inbox_events") == 0
    assert await raw.fetchval("SELECT count(*) FROM dialogue_states") == 0
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == audit_rows


async def test_a_redelivered_update_id_is_handled_once(
    served: Served, fake_tg: FakeTelegram, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    await _link(session_factory, fake_tg)
    update = message_update(77, "/students", user_id=TEACHER)
    assert [await served.post(update), await served.post(update)] == [200, 200]
    assert len(fake_tg.sent_to(TEACHER)) == 1
    answered = "SELECT count(*) FROM inbox_events WHERE answered_at IS NOT NULL"
    assert await raw.fetchval(answered) == 1
    metrics = served.app[METRICS_KEY].render().decode()
    assert 'ge_requests_total{platform="telegram"} 2.0' in metrics
    assert 'ge_turns_total{platform="telegram"} 1.0' in metrics


async def test_strangers_are_told_how_to_get_access_and_codes_work_once(
    served: Served, fake_tg: FakeTelegram, session_factory: Factory
) -> None:
    await served.say("hello", user_id=STRANGER, language_code="en")
    await served.say("/start no-such-code", user_id=STRANGER + 1, language_code="en")
    code = await _code(session_factory)
    await served.say(f"/start {code}", user_id=STRANGER + 2, language_code="en")
    await served.say(f"/start {code}", user_id=STRANGER + 3, language_code="en")
    assert fake_tg.texts(STRANGER) == [t("en", "tg_not_linked")]
    assert fake_tg.texts(STRANGER + 1) == [t("en", "link_unknown")]
    # Telegram says this person reads English: that beats the school's Hebrew until they choose.
    english = t("en", "link_done", name="דנה לוי") + "\n" + t("en", "first_contact")
    assert fake_tg.texts(STRANGER + 2) == [english]
    assert fake_tg.texts(STRANGER + 3) == [t("en", "link_used")]


async def test_students_in_a_group_leaves_only_a_notice_there_and_the_list_in_private(
    served: Served, fake_tg: FakeTelegram, session_factory: Factory
) -> None:
    await _link(session_factory, fake_tg)
    group = group_chat(GROUP)
    await served.say(f"/students@{fake_tg.username}", chat=group)
    await served.say("/students@SomeOtherBot", chat=group)
    await served.say("good morning everyone", chat=group)
    assert fake_tg.texts(GROUP) == [t("he", "private_notice")]
    (private,) = fake_tg.texts(TEACHER)
    assert "Liam O'Brien" in private and private.startswith(t("he", "students_title"))


async def test_a_principal_picks_one_of_several_classes_by_its_button(
    served: Served, fake_tg: FakeTelegram, session_factory: Factory
) -> None:
    # A class's name does not fit Telegram's 64 bytes of callback data: the button carries
    # its number, the command waits in the conversation's state.
    principal = TEACHER + 9
    async with seeding(session_factory) as uow:
        assert await link_by_email(
            uow, ChatPlatform.TELEGRAM, str(fake_tg.bot_id), str(principal),
            "principal@demo.school", Channel("TELEGRAM"),
        )  # fmt: skip
    await served.say("סיכום כיתה ה1", user_id=principal)
    offered = fake_tg.sent_to(principal)[-1]
    assert offered.text.startswith(t("he", "which_class", value="ה1"))
    assert [a for _, a in offered.buttons] == ["pick:1", "pick:2"]
    assert [label for label, _ in offered.buttons] == ["1. מתמטיקה ה'1", "2. עברית ה'1"]
    await served.press("pick:2", offered, user_id=principal)
    assert fake_tg.texts(principal)[-1].startswith("סיכום כיתה עברית ה'1 — השנה")


async def test_the_command_menu_is_published_in_hebrew_and_english(
    served: Served, fake_tg: FakeTelegram
) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"]
        for c in fake_tg.calls_to("setMyCommands")
    }
    assert set(menus) == {None, "he", "en"}
    for menu in menus.values():
        assert [c["command"] for c in menu] == list(COMMANDS)
    assert all(any("\u05d0" <= ch <= "\u05ea" for ch in c["description"]) for c in menus["he"])
    assert all(c["description"].isascii() for c in menus["en"])
    assert menus[None] == menus["he"]  # DEFAULT_LANGUAGE


# -- delivery, against the fake with a real Bot ----------------------------------------------


@pytest.fixture(params=["aiohttp", "ptb-httpx"])
async def bot(fake_tg: FakeTelegram, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """A PTB Bot talking HTTP to the fake, on serve's aiohttp transport or PTB's own."""
    transport = AiohttpRequest() if request.param == "aiohttp" else None
    async with Bot(fake_tg.token, base_url=fake_tg.base_url, request=transport) as bot:
        yield bot


def _quick(bot: Bot) -> Outbox:
    return Outbox(bot, Pacer(per_chat_seconds=0.0))


async def test_a_10000_character_reply_arrives_in_parts_under_4096_cut_at_paragraphs(
    bot: Bot, fake_tg: FakeTelegram
) -> None:
    paragraphs = [
        f"Paragraph {i}: Liam O'Brien wrote <script>alert(1)</script> & more. " + "word " * 190
        for i in range(10)
    ]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) >= 10_000
    await _quick(bot).deliver(Reply(text, (Button("Save", "save"),)), CHAT)
    sent = fake_tg.sent_to(CHAT)
    assert len(sent) >= 3
    assert all(units(s.text) <= 4096 for s in sent)
    assert "\n\n".join(s.text for s in sent) == text  # whole paragraphs, nothing lost
    assert [bool(s.buttons) for s in sent] == [False] * (len(sent) - 1) + [True]
    assert "&lt;script&gt;" in sent[0].raw and "O'Brien" in sent[0].raw


async def test_attachments_go_as_photo_or_document(bot: Bot, fake_tg: FakeTelegram) -> None:
    png, csv = b"\x89PNG\r\n\x1a\nfake", b"name,grade\nLiam,5\n"
    await _quick(bot).deliver(
        Reply(
            "Your export",
            attachments=(
                Attachment("chart.png", png, "image/png"),
                Attachment("class.csv", csv, "text/csv"),
            ),
        ),
        CHAT,
    )
    assert fake_tg.texts(CHAT) == ["Your export"]
    assert [c.files.get("photo") for c in fake_tg.calls_to("sendPhoto")] == [png]
    assert [c.files.get("document") for c in fake_tg.calls_to("sendDocument")] == [csv]


async def test_replies_to_one_chat_leave_about_one_per_second_in_order(
    bot: Bot, fake_tg: FakeTelegram
) -> None:
    outbox = Outbox(bot, Pacer())
    await asyncio.gather(*(outbox.deliver(Reply(f"reply {i}"), CHAT) for i in range(5)))
    sent = fake_tg.sent_to(CHAT)
    assert [s.text for s in sent] == [f"reply {i}" for i in range(5)]
    gaps = [b.at - a.at for a, b in pairwise(sent)]
    # Arrival times carry the machine's jitter: one request delayed by load arrives late and the
    # next one's gap looks short (CI, 2 cores: 1.13 s then 0.945 s). Paced at one a second, the
    # i-th still arrives no sooner than i seconds after the first, and no two arrive together.
    since_first = [s.at - sent[0].at for s in sent]
    assert all(since_first[i] >= 0.95 * i for i in range(len(sent))), since_first
    assert all(0.8 <= gap < 1.5 for gap in gaps), gaps


async def test_a_429_is_waited_out_and_the_message_still_delivered(
    bot: Bot, fake_tg: FakeTelegram
) -> None:
    fake_tg.rate_limit_next(1, retry_after=2)
    await Outbox(bot, Pacer()).deliver(Reply("after the flood"), CHAT)
    first, second = fake_tg.calls_to("sendMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.95
    assert fake_tg.texts(CHAT) == ["after the flood"]


# -- polling mode ------------------------------------------------------------------------------


async def _until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_polling_mode_answers_updates_from_get_updates(
    session_factory: Factory,
    fake_ai: FakeOpenAI,
    fake_tg: FakeTelegram,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> None:
    dialogue = make_engine(session_factory, fake_ai, redis_client, redis_namespace)
    stop = asyncio.Event()
    polling = asyncio.create_task(run_polling(dialogue, _settings(fake_tg), stop=stop))
    fake_tg.push_update(message_update(1, "hello", user_id=STRANGER, language_code="en"))
    try:
        await _until(lambda: fake_tg.texts(STRANGER))
    finally:
        stop.set()
        await asyncio.wait_for(polling, 10)
    assert fake_tg.texts(STRANGER) == [t("en", "tg_not_linked")]
    assert fake_tg.calls_to("deleteWebhook") and fake_tg.calls_to("setMyCommands")


# -- the splitter and escaping on their own --------------------------------------------------


def test_split_keeps_short_text_whole_and_drops_empty_text() -> None:
    assert split_text("one line") == ["one line"]
    assert split_text("  \n\n ") == []


def test_split_packs_whole_paragraphs_up_to_the_limit() -> None:
    text = "\n\n".join(["a" * 40, "b" * 40, "c" * 40])
    assert split_text(text, limit=90) == ["a" * 40 + "\n\n" + "b" * 40, "c" * 40]


def test_split_cuts_a_long_paragraph_at_lines_then_words_then_anywhere() -> None:
    assert split_text("x" * 30 + "\n" + "y" * 30, limit=40) == ["x" * 30, "y" * 30]
    assert split_text("alpha beta gamma delta", limit=11) == ["alpha beta", "gamma delta"]
    assert split_text("z" * 25, limit=10) == ["z" * 10, "z" * 10, "z" * 5]


def test_split_counts_emoji_as_telegram_does() -> None:
    parts = split_text("😀" * 5, limit=4)  # two UTF-16 units each
    assert parts == ["😀😀", "😀😀", "😀"]


def test_escaping_leaves_apostrophes_and_neutralises_markup() -> None:
    assert to_html("O'Brien <script>x</script> & co") == (
        "O'Brien &lt;script&gt;x&lt;/script&gt; &amp; co"
    )
