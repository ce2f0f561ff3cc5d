"""A teacher's account or school changes between two messages: the next message sees it.

The dialogue reads the chat account's user with its state record in one query; the account is
trusted for the exchange only when the user is active and neither user nor school is deleted.
Otherwise every service reloads the user and refuses, and the refusal is audited.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.help import command_list
from bot.i18n import t
from core.models import UserRole
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI

DEACTIVATE = "UPDATE users SET is_active = false WHERE email = 'teacher1@demo.school'"
DELETE_SCHOOL = "UPDATE schools SET deleted_at = now()"


async def _turns(raw: asyncpg.Connection) -> int:
    return await raw.fetchval("SELECT count(*) FROM analysis_conversations")


async def _mid_interview(chat: Chat, fake_ai: FakeOpenAI) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy in class?")
    replies = await chat.say("analyze Liam")
    assert "enjoy" in replies[-1].text


@pytest.mark.parametrize(
    ("change", "reason"), [(DEACTIVATE, "user_inactive"), (DELETE_SCHOOL, "school_deleted")]
)
async def test_a_teacher_whose_account_closes_mid_interview_is_refused_and_audited(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, change: str, reason: str
) -> None:
    await _mid_interview(chat, fake_ai)
    before = await _turns(raw)
    await raw.execute(change)

    replies = await chat.say("Liam loves maps.")

    assert [r.text for r in replies] == [t("en", "denied")]
    assert await _turns(raw) == before, "the answer of a closed account is not stored"
    denial = await raw.fetchrow(
        "SELECT user_email, metadata FROM audit_logs "
        "WHERE metadata->>'denied' = 'true' ORDER BY created_at DESC LIMIT 1"
    )
    assert denial is not None
    assert denial["user_email"] == "teacher1@demo.school"
    assert f'"reason": "{reason}"' in denial["metadata"]


async def test_a_reactivated_teacher_resumes_the_same_interview(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _mid_interview(chat, fake_ai)
    await raw.execute(DEACTIVATE)
    assert [r.text for r in await chat.say("Liam loves maps.")] == [t("en", "denied")]
    await raw.execute("UPDATE users SET is_active = true WHERE email = 'teacher1@demo.school'")

    # The denial ended the open state, so nothing is stuck; the analysis waits to be resumed.
    offer = await chat.say("Liam loves maps.")
    assert [b.action for b in offer[-1].buttons] == ["resume", "cancel"]
    assert "enjoy" in (await chat.say("resume"))[-1].text
    fake_ai.push_question("Where does Student A struggle?")
    replies = await chat.say("Liam loves maps.")

    assert "struggle" in replies[-1].text
    roles = await raw.fetch(
        "SELECT role::text, sequence_number FROM analysis_conversations ORDER BY sequence_number"
    )
    assert [r["role"] for r in roles] == ["SYSTEM", "ASSISTANT", "USER", "ASSISTANT"]
    assert [r["sequence_number"] for r in roles] == [1, 2, 3, 4]


RELINK_TO_TEACHER2 = (
    "UPDATE chat_identities SET user_id = (SELECT id FROM users "
    "WHERE email = 'teacher2@demo.school') WHERE external_user_id = 'teacher1'"
)
TO_PRINCIPAL = "UPDATE users SET role = 'PRINCIPAL' WHERE email = 'teacher1@demo.school'"


@pytest.mark.parametrize(
    ("change", "language", "role"),
    # teacher2 never chose English
    [(RELINK_TO_TEACHER2, "he", UserRole.TEACHER), (TO_PRINCIPAL, "en", UserRole.PRINCIPAL)],
    ids=["relink", "role"],
)
async def test_a_relink_or_role_change_mid_interview_ends_it_with_one_clear_message(
    chat: Chat,
    fake_ai: FakeOpenAI,
    raw: asyncpg.Connection,
    change: str,
    language: str,
    role: UserRole,
) -> None:
    await _mid_interview(chat, fake_ai)
    before = await _turns(raw)
    await raw.execute(change)

    replies = await chat.say("Liam loves maps.")

    assert [r.text for r in replies] == [t(language, "conversation_ended")]
    assert await _turns(raw) == before
    state = await raw.fetchrow("SELECT state, analysis_id FROM dialogue_states")
    assert (state["state"], state["analysis_id"]) == ("IDLE", None)
    # Nothing is stuck: cancel and help answer as they do for anyone idle.
    refusals = {t(language, "denied"), t(language, "not_found")}
    assert {r.text for r in await chat.say("cancel")}.isdisjoint(refusals)
    # Help is the list for the role the account has now.
    assert [r.text for r in await chat.say("help")] == [command_list(language, role)]


async def test_an_account_closed_while_the_model_answers_stores_no_question(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    # The question's write acts as the teacher again (BEGIN and the act-as in one round trip,
    # its answer read by the write itself): closed meanwhile, nothing of it is stored.
    await _mid_interview(chat, fake_ai)
    fake_ai.push_delay(1.0)
    fake_ai.push_question("Never stored?")
    asked = len(fake_ai.requests)
    answer = asyncio.create_task(chat.say("Liam loves maps."))
    for _ in range(200):
        if len(fake_ai.requests) > asked:
            break
        await asyncio.sleep(0.01)
    assert len(fake_ai.requests) > asked, "the model was never asked"
    await raw.execute(DEACTIVATE)

    replies = await answer

    # Refused under an open interview: it ends with one clear message (bot/engine.py).
    assert [r.text for r in replies] == [t("en", "conversation_ended")]
    roles = await raw.fetch(
        "SELECT role::text FROM analysis_conversations ORDER BY sequence_number"
    )
    # The answer was stored before the model call; the question after it was refused.
    assert [r["role"] for r in roles] == ["SYSTEM", "ASSISTANT", "USER"]
    denial = await raw.fetchrow(
        "SELECT metadata FROM audit_logs WHERE metadata->>'denied' = 'true' "
        "ORDER BY created_at DESC LIMIT 1"
    )
    assert denial is not None and '"reason": "user_inactive"' in denial["metadata"]
    assert not await raw.fetchval("SELECT count(*) FROM outbox_replies WHERE reply::text LIKE "
                                  "'%Never stored%'")  # fmt: skip
