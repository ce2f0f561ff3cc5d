"""Role routing: summary, flagged and admin reach only the roles allowed; refusals are audited."""

from __future__ import annotations

import asyncpg

from bot.i18n import CATALOGUE, t
from tests.dialogue_fixtures import Chat

# As shown: a teacher's refusal names the words of their language (history, export).
REFUSALS = {
    t(language, key) for language in CATALOGUE for key in ("role_refused", "role_refused_teacher")
}


async def denials(raw: asyncpg.Connection, email: str) -> list[asyncpg.Record]:
    """The audit rows of one user with metadata.denied = true, oldest first."""
    return await raw.fetch(
        "SELECT action::text, resource FROM audit_logs "
        "WHERE user_email = $1 AND metadata->'denied' = 'true'::jsonb ORDER BY created_at",
        email,
    )


async def refused(chat: Chat, text: str) -> bool:
    """Say `text` and tell whether the bot answered with the role refusal."""
    replies = await chat.say(text)
    assert replies, f"no reply to {text!r}"
    return any(reply.text in REFUSALS for reply in replies)


async def test_a_teachers_summary_and_admin_are_refused_and_audited(
    chat: Chat, raw: asyncpg.Connection
) -> None:
    assert await refused(chat, "summary school")
    assert await refused(chat, "admin user list")
    rows = await denials(raw, "teacher1@demo.school")
    assert [(row["action"], row["resource"]) for row in rows] == [
        ("READ", "Command:summary"),
        ("READ", "Command:admin"),
    ]


async def test_a_teachers_flagged_is_refused_too(chat: Chat, raw: asyncpg.Connection) -> None:
    assert await refused(chat, "flagged")
    assert [row["resource"] for row in await denials(raw, "teacher1@demo.school")] == [
        "Command:flagged"
    ]


async def test_a_principals_summary_and_flagged_are_routed(
    chat: Chat, raw: asyncpg.Connection
) -> None:
    principal = Chat(chat.engine, user="principal")
    assert not await refused(principal, "summary school")
    assert not await refused(principal, "flagged")
    assert await denials(raw, "principal@demo.school") == []


async def test_a_principals_admin_is_refused_and_audited(
    chat: Chat, raw: asyncpg.Connection
) -> None:
    principal = Chat(chat.engine, user="principal")
    assert await refused(principal, "admin user list")
    rows = await denials(raw, "principal@demo.school")
    assert [(row["action"], row["resource"]) for row in rows] == [("READ", "Command:admin")]


async def test_an_admins_admin_and_summary_are_routed(chat: Chat, raw: asyncpg.Connection) -> None:
    admin = Chat(chat.engine, user="admin")
    assert not await refused(admin, "admin user list")
    assert not await refused(admin, "summary school")
    assert await denials(raw, "admin@demo.school") == []
