"""Whole interviews through the dialogue API, the real openai client and the fake server."""

from __future__ import annotations

import asyncpg

from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI

HEBREW_ANALYSIS = {
    "strengths": ["Student A קורא בשטף"],
    "weaknesses": ["קשה ל-Student A להתרכז במשימות ארוכות"],
    "recommendations": ["לחלק משימות לשלבים קצרים"],
    "learningStyle": "לומד חזותי",
    "confidence": 0.8,
}


async def _rows(raw: asyncpg.Connection) -> list[asyncpg.Record]:
    return await raw.fetch(
        "SELECT c.role::text, c.sequence_number, c.tokens, c.content FROM analysis_conversations c "
        "ORDER BY c.sequence_number")


async def test_whole_english_interview_from_analyze_to_save(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    assert "English" in (await chat.say("lang en"))[0].text
    fake_ai.push_question("What does Student A enjoy most in class?")
    replies = await chat.say("analyze Liam")
    assert "Liam O'Brien" in replies[0].text, replies
    assert replies[1].text == "What does Liam enjoy most in class?"
    fake_ai.push_question("Where does Student A struggle?")
    assert "struggle" in (await chat.say("Liam loves reading and maps."))[0].text
    fake_ai.push_done()
    fake_ai.push_analysis({**HEBREW_ANALYSIS, "strengths": ["Student A reads fluently"]})
    replies = await chat.say("Long written tasks are hard for him.")
    assert "Liam reads fluently" in replies[1].text
    assert "AI-generated draft for you to review" in replies[1].text
    assert {b.action for b in replies[1].buttons} >= {"save", "flag", "note", "discard"}
    assert "complete" in (await chat.say(action="save"))[0].text

    rows = await _rows(raw)
    assert [(r["role"], r["sequence_number"]) for r in rows] == [
        ("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3), ("ASSISTANT", 4), ("USER", 5),
        ("ASSISTANT", 6)]
    assert rows[2]["content"] == "Liam loves reading and maps."
    assert all(r["tokens"] for r in rows[1:])
    analysis = await raw.fetchrow("SELECT * FROM analyses")
    assert analysis["status"] == "COMPLETED"
    billed = sum(r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
                 for r in fake_ai.responses)
    assert analysis["total_tokens"] == billed
    assert analysis["estimated_cost"] > 0
    assert analysis["session_duration"] is not None
    sent = fake_ai.all_sent_text()
    assert "Liam" not in sent and "O'Brien" not in sent


async def test_whole_hebrew_interview_from_analyze_to_save(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    fake_ai.push_question("מה Student A אוהבת לעשות בכיתה?")
    replies = await chat.say("analyze יעל מזרחי")
    assert replies[1].text == "מה יעל אוהבת לעשות בכיתה?"
    fake_ai.push_question("במה Student A מתקשה?")
    await chat.say("יעל אוהבת לקרוא ולצייר.")
    fake_ai.push_done()
    fake_ai.push_analysis(HEBREW_ANALYSIS)
    replies = await chat.say("קשה לה עם משימות כתיבה ארוכות.")
    assert "יעל קורא בשטף" in replies[1].text
    assert "טיוטה שנוצרה בבינה מלאכותית" in replies[1].text
    assert "הושלם" in (await chat.say("שמירה"))[0].text
    analysis = await raw.fetchrow("SELECT status::text, results FROM analyses")
    assert analysis["status"] == "COMPLETED"
    rows = await _rows(raw)
    assert [r["role"] for r in rows] == ["SYSTEM", "ASSISTANT", "USER", "ASSISTANT", "USER",
                                         "ASSISTANT"]
    assert "יעל" not in fake_ai.all_sent_text() and "מזרחי" not in fake_ai.all_sent_text()
