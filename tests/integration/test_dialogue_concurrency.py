"""Concurrent and redelivered events: one turn per event id, one conversation turn at a time."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.http_app import TaskTracker
from adapters.redis_store import RedisLocks, RedisSeenEvents
from bot.engine import DialogueEngine
from bot.events import Incoming, Reply
from bot.slots import Slots
from core.models import ChatPlatform
from tests.dialogue_fixtures import PRICES, Chat, make_engine, seed_and_link
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
COPIES = 20
MODEL_DELAY = 2.0  # the first process's model call: long enough for the second to queue

# One teacher's message from a fresh interpreter: warm up, print `ready`, wait for a line on
# stdin, handle the event, print the reply texts as JSON.
SENDER = """
import asyncio, json, sys
from types import SimpleNamespace
from sqlalchemy import text
from adapters.redis_store import redis_client
from bot.events import Incoming
from core.db import make_engine as make_db, make_session_factory
from core.models import ChatPlatform
from tests.dialogue_fixtures import make_engine

async def main(db_url, redis_url, namespace, base_url, event_id, message):
    db = make_db(db_url, pool_size=2)
    client = redis_client(redis_url)
    fake = SimpleNamespace(base_url=base_url)
    engine = make_engine(make_session_factory(db), fake, client, namespace,
                         min_questions=2, max_questions=4)
    await client.ping()
    async with db.connect() as conn:
        await conn.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    replies = await engine.handle(Incoming(
        ChatPlatform.SHELL, "local", "teacher1", "chat-teacher1", text=message,
        event_id=event_id))
    print(json.dumps([reply.text for reply in replies]), flush=True)
    await client.aclose()
    await db.dispose()

asyncio.run(main(*sys.argv[1:]))
"""


def _answer(text: str, event_id: str) -> Incoming:
    return Incoming(
        ChatPlatform.SHELL, "local", "teacher1", "chat-teacher1", text=text, event_id=event_id
    )


async def _start_interview(chat: Chat, fake_ai: FakeOpenAI) -> None:
    assert "English" in (await chat.say("lang en"))[0].text
    fake_ai.push_question("What does Student A enjoy most in class?")
    replies = await chat.say("analyze Liam")
    assert replies[-1].text == "What does Liam enjoy most in class?", replies


async def _turns(raw: asyncpg.Connection) -> list[asyncpg.Record]:
    return await raw.fetch(
        "SELECT role::text, sequence_number, content, created_at FROM analysis_conversations "
        "ORDER BY sequence_number"
    )


async def _user_rows(raw: asyncpg.Connection) -> int:
    return await raw.fetchval("SELECT count(*) FROM analysis_conversations WHERE role = 'USER'")


async def _until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"{what}: not reached within {within} s"
        await asyncio.sleep(0.01)


def _answered(results: list[list[Reply]]) -> list[list[Reply]]:
    return [replies for replies in results if replies]


async def test_twenty_copies_of_one_event_id_make_one_turn(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start_interview(chat, fake_ai)
    requests_before = len(fake_ai.requests)
    fake_ai.push_question("Where does Student A struggle?")
    event = _answer("Liam loves maps.", "redelivered-1")

    results = await asyncio.gather(*(chat.engine.handle(event) for _ in range(COPIES)))

    answered = _answered(results)
    assert len(answered) == 1, results
    assert answered[0][0].text == "Where does Liam struggle?"
    assert await _user_rows(raw) == 1
    assert len(fake_ai.requests) == requests_before + 1
    assert [(r["role"], r["sequence_number"]) for r in await _turns(raw)] == [
        ("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3), ("ASSISTANT", 4)]  # fmt: skip
    marked = await raw.fetchval(
        "SELECT count(*) FROM inbox_events WHERE event_key = $1 AND answered_at IS NOT NULL",
        event.event_key,
    )
    assert marked == 1


async def test_the_answered_inbox_row_stops_copies_that_twenty_engines_receive(
    chat: Chat,
    fake_ai: FakeOpenAI,
    raw: asyncpg.Connection,
    session_factory: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> None:
    await _start_interview(chat, fake_ai)
    requests_before = len(fake_ai.requests)
    base = chat.engine

    def copy(index: int) -> DialogueEngine:
        # The lock orders the copies; Postgres alone says which was answered (nothing in Redis).
        return DialogueEngine(
            session_factory=session_factory,
            ai=base.interviewer.ai,
            locks=RedisLocks(redis_client, namespace=redis_namespace, wait_seconds=30),
            seen=RedisSeenEvents(redis_client, namespace=f"{redis_namespace}:seen{index}"),
            prices=PRICES,
            settings=base.settings,
        )

    engines = [copy(index) for index in range(COPIES)]
    event = _answer("Liam loves maps.", "redelivered-2")

    results = await asyncio.gather(*(engine.handle(event) for engine in engines))

    assert len(_answered(results)) == 1, results
    assert await _user_rows(raw) == 1
    assert len(fake_ai.requests) == requests_before + 1
    marked = await raw.fetchval(
        "SELECT count(*) FROM inbox_events WHERE event_key = $1 AND answered_at IS NOT NULL",
        event.event_key,
    )
    assert marked == 1


async def _sender(
    database_url: str, redis_url: str, namespace: str, base_url: str, event_id: str, text: str
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SENDER, database_url, redis_url, namespace, base_url, event_id,
        text, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if line != b"ready\n":
        process.kill()
        _, err = await process.communicate()
        raise AssertionError(f"sender did not start: {line!r} {err.decode()[-2000:]}")
    return process


async def _go(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    process.stdin.write(b"go\n")
    await process.stdin.drain()


async def _replies(process: asyncio.subprocess.Process) -> list[str]:
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_two_messages_sent_at_once_from_two_processes_make_two_turns_in_order(
    chat: Chat,
    fake_ai: FakeOpenAI,
    raw: asyncpg.Connection,
    database_url: str,
    redis_url: str,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> None:
    await _start_interview(chat, fake_ai)
    where = (database_url, redis_url, redis_namespace, fake_ai.base_url)
    senders = await asyncio.gather(
        _sender(*where, "p-1", "First answer."), _sender(*where, "p-2", "Second answer.")
    )
    first, second = senders
    try:
        fake_ai.push_delay(MODEL_DELAY)
        fake_ai.push_question("Where does Student A struggle?")
        requests_before = len(fake_ai.requests)
        await _go(first)

        async def first_is_at_the_model() -> bool:
            return len(fake_ai.requests) > requests_before

        await _until(first_is_at_the_model, 10, "first message reaches the model")
        await _go(second)
        locks = RedisLocks(redis_client, namespace=redis_namespace)
        key = _answer("", "unused").conversation_key

        async def second_is_queued() -> bool:
            return await locks.waiting(key) == 1

        await _until(second_is_queued, MODEL_DELAY / 2, "second message queues behind the first")
        assert first.returncode is None, "the first message must still hold the lock"
        first_replies, second_replies = await asyncio.gather(_replies(first), _replies(second))
    finally:
        for process in senders:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert first_replies == ["Where does Liam struggle?"]
    assert len(second_replies) == 1 and second_replies[0].startswith("Default question")
    rows = await _turns(raw)
    assert [(r["role"], r["sequence_number"]) for r in rows] == [
        ("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3), ("ASSISTANT", 4), ("USER", 5),
        ("ASSISTANT", 6)]  # fmt: skip
    assert [rows[2]["content"], rows[4]["content"]] == ["First answer.", "Second answer."]
    assert rows[3]["content"] == "Where does Liam struggle?"
    assert rows[4]["created_at"] >= rows[3]["created_at"]
    # The second model request was sent after the first reply and already carries it.
    first_sent, second_sent = fake_ai.request_times[-2:]
    assert second_sent - first_sent >= MODEL_DELAY
    sent = [(m["role"], m["content"]) for m in fake_ai.requests[-1]["messages"]]
    assert ("user", "First answer.") in sent and ("user", "Second answer.") in sent
    user_turns = [content for role, content in sent if role == "user"]
    assert user_turns[-2:] == ["First answer.", "Second answer."]
    state = await raw.fetchrow("SELECT state, analysis_id FROM dialogue_states")
    assert state["state"] == "INTERVIEWING"


async def test_one_slot_serves_a_second_teacher_while_the_first_waits_on_the_model(
    session_factory: async_sessionmaker[AsyncSession],
    fake_ai: FakeOpenAI,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> None:
    """serve's bound on turns at once (MAX_CONCURRENT_TURNS) counts our work, not the model's."""
    await seed_and_link(session_factory)
    slots = Slots(1)
    engine = make_engine(
        session_factory, fake_ai, redis_client, redis_namespace,
        min_questions=2, max_questions=4, slots=slots,
    )  # fmt: skip
    tasks = TaskTracker(slots)  # runs each turn in a slot, as serve's webhooks do
    teacher1, teacher2 = Chat(engine), Chat(engine, user="teacher2")
    fake_ai.push_question("What does Student A enjoy?")
    await teacher1.say("analyze Liam")
    fake_ai.push_delay(1.0)
    fake_ai.push_question("Where does Student A struggle?")
    sent = len(fake_ai.requests)

    answering = tasks.spawn(teacher1.say("Liam loves maps."))
    for _ in range(500):  # until teacher1's turn is stored and the model asked
        if len(fake_ai.requests) > sent:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("teacher1's model call never came")
    started = time.perf_counter()
    helped = await tasks.spawn(teacher2.say("help"))
    waited = time.perf_counter() - started

    assert helped and not answering.done(), "teacher2 was answered during teacher1's model call"
    assert waited < 0.5, f"teacher2 waited {waited:.2f} s for the slot"
    assert "struggle" in (await answering)[-1].text
    assert slots.waiting == 0


async def test_turns_beyond_the_bound_wait_and_all_are_answered_in_order(
    session_factory: async_sessionmaker[AsyncSession],
    fake_ai: FakeOpenAI,
    redis_client: redis.asyncio.Redis,
    redis_namespace: str,
) -> None:
    await seed_and_link(session_factory)
    slots = Slots(1)
    engine = make_engine(session_factory, fake_ai, redis_client, redis_namespace, slots=slots)
    tasks = TaskTracker(slots)
    users = ["teacher1", "teacher2", "principal", "admin"]
    chats = [Chat(engine, user=user) for user in users]
    finished: list[str] = []

    async def ask(chat: Chat) -> None:
        assert await chat.say("help")
        finished.append(chat.user)

    for chat in chats:
        tasks.spawn(ask(chat))
    await asyncio.sleep(0)
    assert slots.waiting == 3
    await tasks.drain(grace_seconds=30)
    assert finished == users
    assert slots.waiting == 0
