"""`history NAME` lists a student's analyses; `cancel` while choosing ends the choice."""

from __future__ import annotations

import asyncpg

from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI


async def test_history_lists_a_students_analyses_newest_first(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    await chat.say("analyze Liam")
    await chat.say("He likes maps.")
    await chat.say("finish")
    await chat.say(action="save")
    await chat.say("analyze Liam")
    await chat.say("cancel")
    reply = (await chat.say("history Liam"))[0].text
    lines = reply.splitlines()
    assert "Liam O'Brien" in lines[0]
    assert "cancelled" in lines[1] and "completed" in lines[2]  # cancelled, not "failed"
    audit = await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE metadata->>'operation' = 'history'"
    )
    assert audit == 1


async def test_history_of_a_student_outside_my_classes_finds_nothing(chat: Chat) -> None:
    await chat.say("lang en")
    assert "found no student" in (await chat.say("history מרים לוי"))[0].text


async def test_cancel_while_choosing_ends_the_choice(chat: Chat, raw: asyncpg.Connection) -> None:
    await chat.say("lang en")
    assert "Which one?" in (await chat.say("analyze O"))[0].text
    assert "no student was chosen" in (await chat.say("cancel"))[0].text
    assert await raw.fetchval("SELECT state FROM dialogue_states") == "IDLE"
