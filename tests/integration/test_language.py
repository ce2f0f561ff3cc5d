"""Replies come in the user's language: their setting, else the school's, else the default."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import Incoming
from core.actor import Channel
from core.identity import link_by_email
from core.models import ChatPlatform
from tests.dialogue_fixtures import Chat
from tests.service_fixtures import seeding


async def test_lang_is_kept_for_the_user_on_every_platform(
    chat: Chat, session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    assert "English" in (await chat.say("lang en"))[0].text
    assert await raw.fetchval(
        "SELECT settings->>'language' FROM users WHERE email = 'teacher1@demo.school'"
    ) == "en"
    async with seeding(session_factory) as uow:
        await link_by_email(uow, ChatPlatform.TELEGRAM, "bot", "555", "teacher1@demo.school",
                            Channel("TELEGRAM"))
    replies = await chat.engine.handle(
        Incoming(ChatPlatform.TELEGRAM, "bot", "555", "555", text="help", event_id="tg-1"))
    assert replies[0].text.startswith("What you can do as a teacher")
    audit = await raw.fetchval(
        "SELECT metadata->'changedFields' FROM audit_logs WHERE resource = 'User' "
        "AND action = 'UPDATE'")
    assert audit == '["settings.language"]'


async def test_without_a_user_setting_the_schools_language_is_used(
    chat: Chat, raw: asyncpg.Connection
) -> None:
    await raw.execute("UPDATE users SET settings = NULL")
    await raw.execute("UPDATE schools SET settings = '{\"language\": \"en\"}'")
    assert (await chat.say("help"))[0].text.startswith("What you can do as a teacher")
    await raw.execute("UPDATE schools SET settings = NULL")
    # DEFAULT_LANGUAGE he
    assert (await chat.say("help"))[0].text.startswith("מה אפשר לעשות בתור מורה")
