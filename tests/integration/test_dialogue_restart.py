"""Restarts mid-interview: the dialogue lives in Postgres, so a new engine or process goes on.

Stopped mid-interview, a fresh engine object (new pool, new Redis client) or a new OS process
over the same database takes the next answer with no lost or repeated turn; `resume` asks the
stored question again. An interview left longer than the idle timeout expires, and a teacher
with an unfinished analysis who writes anything is offered to resume it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.redis_store import redis_client as make_redis_client
from bot.events import Reply
from core.db import make_engine, make_session_factory
from tests.dialogue_fixtures import Chat, seed_and_link
from tests.dialogue_fixtures import make_engine as make_dialogue_engine
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]

# A second process: builds its own engine from URLs only, handles the messages, prints replies.
NEXT_PROCESS = """
import asyncio, json, sys
from types import SimpleNamespace

from adapters.redis_store import redis_client
from bot.events import Incoming
from core.db import make_engine, make_session_factory
from core.models import ChatPlatform
from tests.ai_clients import close_all
from tests.dialogue_fixtures import make_engine as make_dialogue_engine


async def main(config):
    db = make_engine(config["database_url"], pool_size=2)
    client = redis_client(config["redis_url"])
    try:
        engine = make_dialogue_engine(
            make_session_factory(db), SimpleNamespace(base_url=config["ai_base_url"]), client,
            config["namespace"], min_questions=2, max_questions=4)
        out = []
        for text, event_id in config["messages"]:
            replies = await engine.handle(Incoming(
                ChatPlatform.SHELL, "local", "teacher1", "chat-teacher1", text=text,
                event_id=event_id))
            out.append([{"text": r.text, "buttons": [b.action for b in r.buttons]}
                        for r in replies])
        print(json.dumps(out))
    finally:
        await close_all()
        await client.aclose()
        await db.dispose()


asyncio.run(main(json.loads(sys.argv[1])))
"""


async def _in_another_process(
    chat: Chat, messages: list[str], *, database_url: str, redis_url: str, namespace: str,
    fake: FakeOpenAI,
) -> list[list[dict[str, Any]]]:
    """Send `messages` as teacher1 from a new Python process; its replies, one list each."""
    event_ids = [f"{chat.user}-{chat.counter + n}" for n in range(1, len(messages) + 1)]
    chat.counter += len(messages)  # the platform's event ids keep counting
    config = {
        "database_url": database_url, "redis_url": redis_url, "namespace": namespace,
        "ai_base_url": fake.base_url, "messages": list(zip(messages, event_ids, strict=True)),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", NEXT_PROCESS, json.dumps(config), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    # The fake AI server runs on this event loop, so wait without blocking it.
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def _turns(raw: asyncpg.Connection) -> list[asyncpg.Record]:
    return await raw.fetch(
        "SELECT role::text, sequence_number, content FROM analysis_conversations "
        "ORDER BY sequence_number"
    )


def _assert_one_unbroken_conversation(turns: list[asyncpg.Record], questions: int) -> None:
    """Turns numbered 1..n; system, then question/answer pairs, then the result."""
    assert [t["sequence_number"] for t in turns] == list(range(1, len(turns) + 1))
    expected = ["SYSTEM", *["ASSISTANT", "USER"] * questions, "ASSISTANT"]
    assert [t["role"] for t in turns] == expected


async def _state(raw: asyncpg.Connection) -> str:
    return await raw.fetchval("SELECT state FROM dialogue_states")


async def _status(raw: asyncpg.Connection) -> str:
    return await raw.fetchval("SELECT status::text FROM analyses")


async def _stored_question(raw: asyncpg.Connection) -> str:
    last = await raw.fetchrow(
        "SELECT role::text, content FROM analysis_conversations "
        "ORDER BY sequence_number DESC LIMIT 1"
    )
    assert last["role"] == "ASSISTANT"
    return last["content"]


async def _two_questions_in(chat: Chat, fake: FakeOpenAI) -> None:
    """English, Liam's interview started, first answer given, second question asked."""
    assert "English" in (await chat.say("lang en"))[0].text
    fake.push_question("What does Student A enjoy most in class?")
    assert (await chat.say("analyze Liam"))[1].text == "What does Liam enjoy most in class?"
    fake.push_question("Where does Student A struggle?")
    assert (await chat.say("He loves maps and reading."))[0].text == "Where does Liam struggle?"


async def _finish_and_save(chat: Chat, fake: FakeOpenAI, answer: str) -> None:
    fake.push_done()
    replies = await chat.say(answer)
    assert "Writing the analysis" in replies[0].text, replies
    assert "Liam reads fluently" in replies[1].text
    assert "complete" in (await chat.say(action="save"))[0].text


def _asks(reply: Reply, question: str) -> bool:
    return reply.text == question and [b.action for b in reply.buttons] == ["finish"]


async def test_a_fresh_engine_over_the_same_database_continues_the_interview(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, database_url: str,
    redis_url: str, redis_namespace: str,
) -> None:
    await _two_questions_in(chat, fake_ai)
    before = len(await _turns(raw))

    # Everything in memory is gone: a new database pool, a new Redis client, a new engine.
    db = make_engine(database_url, pool_size=2)
    client = make_redis_client(redis_url)
    try:
        engine = make_dialogue_engine(make_session_factory(db), fake_ai, client, redis_namespace,
                                      min_questions=2, max_questions=4)
        restarted = Chat(engine, counter=chat.counter)

        [again] = await restarted.say("resume")
        assert _asks(again, await _stored_question(raw))
        assert again.text == "Where does Liam struggle?"
        assert len(await _turns(raw)) == before

        fake_ai.push_question("What helps Student A focus?")
        [question] = await restarted.say("Long texts are hard for him.")
        assert _asks(question, "What helps Liam focus?")
        await _finish_and_save(restarted, fake_ai, "Short steps and pictures.")
    finally:
        await client.aclose()
        await db.dispose()

    turns = await _turns(raw)
    _assert_one_unbroken_conversation(turns, questions=3)
    assert [t["content"] for t in turns if t["role"] == "USER"] == [
        "He loves maps and reading.", "Long texts are hard for him.", "Short steps and pictures."]
    assert [t["content"] for t in turns if t["role"] == "ASSISTANT"][:3] == [
        "What does Liam enjoy most in class?", "Where does Liam struggle?",
        "What helps Liam focus?"]
    assert await _status(raw) == "COMPLETED"
    assert await _state(raw) == "IDLE"


async def test_a_new_process_takes_the_next_answer_and_the_interview_goes_on(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, database_url: str,
    redis_url: str, redis_namespace: str,
) -> None:
    await _two_questions_in(chat, fake_ai)
    fake_ai.push_question("What helps Student A focus?")

    resumed, answered = await _in_another_process(
        chat, ["resume", "Long texts are hard for him."], database_url=database_url,
        redis_url=redis_url, namespace=redis_namespace, fake=fake_ai,
    )

    assert [r["text"] for r in resumed] == ["Where does Liam struggle?"]
    assert [r["text"] for r in answered] == ["What helps Liam focus?"]
    assert answered[0]["buttons"] == ["finish"]
    assert await _stored_question(raw) == "What helps Liam focus?"
    assert await _state(raw) == "INTERVIEWING"

    # Back in this process: its engine never saw that question, the database did.
    [again] = await chat.say("resume")
    assert _asks(again, "What helps Liam focus?")
    await _finish_and_save(chat, fake_ai, "Short steps and pictures.")

    turns = await _turns(raw)
    _assert_one_unbroken_conversation(turns, questions=3)
    assert [t["content"] for t in turns if t["role"] == "USER"] == [
        "He loves maps and reading.", "Long texts are hard for him.", "Short steps and pictures."]
    assert await _status(raw) == "COMPLETED"


async def test_an_interview_idle_longer_than_the_timeout_expires_and_fails_as_expired(
    session_factory: async_sessionmaker[AsyncSession], fake_ai: FakeOpenAI,
    raw: asyncpg.Connection, redis_client: redis.asyncio.Redis, redis_namespace: str,
) -> None:
    await seed_and_link(session_factory)
    engine = make_dialogue_engine(session_factory, fake_ai, redis_client, redis_namespace,
                                  min_questions=2, max_questions=4,
                                  idle_timeout=timedelta(seconds=1))
    chat = Chat(engine)
    await _two_questions_in(chat, fake_ai)
    turns = len(await _turns(raw))
    await asyncio.sleep(1.2)

    [expired] = await chat.say("A late answer.")

    assert "expired" in expired.text and "Liam O'Brien" in expired.text, expired
    assert await _state(raw) == "IDLE"
    assert await _status(raw) == "FAILED"
    reasons = await raw.fetch(
        "SELECT metadata->>'reason' AS reason FROM audit_logs WHERE resource = 'Analysis' "
        "AND action = 'UPDATE' AND metadata->'changedFields' ? 'status'"
    )
    assert [r["reason"] for r in reasons] == ["expired"]
    assert len(await _turns(raw)) == turns, "the late answer is not stored"

    [offer] = await chat.say("Hello again")  # interrupted, not failed: resume, as the text says
    assert "write resume to go on or cancel to drop it" in offer.text
    assert "Liam O'Brien" in offer.text
    assert [(b.label, b.action) for b in offer.buttons] == [
        ("Resume", "resume"), ("Cancel", "cancel")]


async def test_a_teacher_with_an_unfinished_analysis_who_writes_text_is_offered_to_resume_it(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection,
) -> None:
    await _two_questions_in(chat, fake_ai)
    # The conversation record is gone (e.g. wiped with the chat); the analysis is not.
    await raw.execute("DELETE FROM dialogue_states")

    [offer] = await chat.say("Hi, where were we?")

    # `lang en` lives in the user's settings, so it outlives the conversation record.
    assert "unfinished analysis of" in offer.text and "Liam O'Brien" in offer.text, offer
    assert [(b.label, b.action) for b in offer.buttons] == [
        ("Resume", "resume"), ("Cancel", "cancel")]
    assert await _status(raw) == "IN_PROGRESS"

    [again] = await chat.say(action="resume")
    assert _asks(again, await _stored_question(raw))
    assert await _state(raw) == "INTERVIEWING"
    fake_ai.push_question("What helps Student A focus?")
    assert _asks((await chat.say("Long texts are hard for him."))[0], "What helps Liam focus?")
    await _finish_and_save(chat, fake_ai, "Short steps and pictures.")
    _assert_one_unbroken_conversation(await _turns(raw), questions=3)
