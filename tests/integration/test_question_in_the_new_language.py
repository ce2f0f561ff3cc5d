"""A language switch mid-interview asks the waiting question again in the new language, through
the real openai client: the model is asked to restate it (no identity sent), nothing is stored
as a turn, its tokens are billed, and a model that fails leaves the question as it was asked."""

from __future__ import annotations

import asyncpg

from core.prompts import restate_instruction
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI


async def _turns(raw: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await raw.fetch(
        "SELECT role::text, content FROM analysis_conversations ORDER BY sequence_number"
    )
    return [(r["role"], r["content"]) for r in rows]


async def test_lang_mid_interview_asks_the_same_question_in_the_new_language(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    stored = await _turns(raw)

    fake_ai.push_question("מה Student A הכי אוהב בכיתה?")
    replies = await chat.say("lang he")
    assert [r.text for r in replies][1:] == ["מה Liam הכי אוהב בכיתה?"]
    assert replies[1].buttons[0].label == "סיום"
    sent = fake_ai.requests[-1]["messages"]
    assert {"role": "system", "content": restate_instruction("he")} in sent
    assert sent[-3]["content"] == "What does Student A enjoy most in class?"
    assert "Liam" not in fake_ai.all_sent_text()
    assert await _turns(raw) == stored  # asked again, not asked anew
    billed = sum(r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
                 for r in fake_ai.responses)  # fmt: skip
    assert await raw.fetchval("SELECT total_tokens FROM analyses") == billed

    # Help repeats it as last asked, with no new model call.
    calls = len(fake_ai.requests)
    assert (await chat.say("עזרה"))[-1].text == "מה Liam הכי אוהב בכיתה?"
    assert len(fake_ai.requests) == calls


async def test_a_model_that_fails_to_restate_leaves_the_question_as_asked(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    fake_ai.push_error(400)
    replies = await chat.say("lang he")
    assert replies[1].text == "What does Liam enjoy most in class?"
    assert await raw.fetchval("SELECT status::text FROM analyses") == "IN_PROGRESS"
    fake_ai.push_question("איפה Student A מתקשה?")
    assert (await chat.say("הוא אוהב מפות"))[0].text == "איפה Liam מתקשה?"
