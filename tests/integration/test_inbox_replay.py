"""An event run again after a crash before its answer: nothing it stored is stored twice.

The exchange's units of work commit one after another (the teacher's answer, the model's
question, then the answer to the event with its replies); a crash can come between any two.
The event stays unanswered in the inbox and is run again: its answer is not stored again and
an asked question is not asked again, so the interview never has two questions in a row.
"""

from __future__ import annotations

import asyncpg

from bot.events import Incoming
from core.models import ChatPlatform
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI


def _answer(text: str, event_id: str) -> Incoming:
    return Incoming(
        ChatPlatform.SHELL, "local", "teacher1", "chat-teacher1", text=text, event_id=event_id
    )


async def _roles(raw: asyncpg.Connection) -> list[str]:
    rows = await raw.fetch(
        "SELECT role::text FROM analysis_conversations ORDER BY sequence_number"
    )
    return [r["role"] for r in rows]


async def _start(chat: Chat, fake_ai: FakeOpenAI) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")


async def test_a_replay_after_the_question_was_stored_sends_the_same_question_again(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start(chat, fake_ai)
    event = _answer("Liam loves maps.", "crash-1")
    fake_ai.push_question("Where does Student A struggle?")
    first = await chat.engine.handle(event)
    # As if the process died after the question's commit and before the answer's.
    await raw.execute("UPDATE inbox_events SET answered_at = NULL WHERE event_key = $1",
                      event.event_key)  # fmt: skip
    requests = len(fake_ai.requests)

    again = await chat.engine.handle(event)

    assert [r.text for r in again] == [r.text for r in first]
    assert "struggle" in again[-1].text
    assert len(fake_ai.requests) == requests, "the question was not asked of the model again"
    assert await _roles(raw) == ["SYSTEM", "ASSISTANT", "USER", "ASSISTANT"]
    assert await chat.engine.handle(event) == [], "answered now: a redelivery gets nothing"


async def test_a_replay_after_only_the_answer_was_stored_asks_the_next_question_once(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start(chat, fake_ai)
    event = _answer("Liam loves maps.", "crash-2")
    for _ in range(3):  # the model fails every try, as a crash during its call would
        fake_ai.push_error(500)
    failed = await chat.engine.handle(event)
    assert failed[-1].buttons and failed[-1].buttons[0].action == "retry"
    roles = await _roles(raw)
    assert roles == ["SYSTEM", "ASSISTANT", "USER"]
    # Run again unanswered (as after a crash): the answer is stored once, never twice.
    await raw.execute("UPDATE inbox_events SET answered_at = NULL WHERE event_key = $1",
                      event.event_key)  # fmt: skip
    await raw.execute("UPDATE analyses SET status = 'IN_PROGRESS', failure_reason = NULL")
    await raw.execute("UPDATE dialogue_states SET state = 'INTERVIEWING', data = '{}', "
                      "analysis_id = (SELECT id FROM analyses)")  # fmt: skip
    assert fake_ai.pending == 0
    fake_ai.push_question("Where does Student A struggle?")

    again = await chat.engine.handle(event)

    assert "struggle" in again[-1].text
    assert await _roles(raw) == ["SYSTEM", "ASSISTANT", "USER", "ASSISTANT"]
