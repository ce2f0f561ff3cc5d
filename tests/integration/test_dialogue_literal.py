"""Text typed into a form field is data: an edit reading "cancel ..." is kept, not obeyed."""

from __future__ import annotations

import asyncpg

from bot.events import Incoming
from core.models import ChatPlatform
from tests.dialogue_fixtures import Chat


async def test_form_text_that_reads_like_a_command_is_stored_as_the_edit(
    chat: Chat, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    await chat.say("analyze Liam")
    await chat.say("He likes maps.")
    await chat.say("finish")
    await chat.say(action="edit:recommendations")
    replies = await chat.engine.handle(Incoming(
        ChatPlatform.SHELL, "local", "teacher1", "chat-teacher1",
        text="cancel the extra homework", event_id="form-1", literal=True))
    assert "Updated" in replies[0].text
    edits = await raw.fetchval("SELECT teacher_edits FROM analyses")
    assert "cancel the extra homework" in edits
    assert await raw.fetchval("SELECT status::text FROM analyses") == "IN_PROGRESS"
