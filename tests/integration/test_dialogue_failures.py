"""When the AI misbehaves mid-dialogue: retries, FAILED analyses, the retry path and cancel."""

from __future__ import annotations

import json

import asyncpg

from bot.events import Reply
from core.prompts import analysis_instruction, repair_instruction
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI, wants_analysis

ANALYSIS = {
    "strengths": ["Student A reads fluently."],
    "weaknesses": ["Student A finds long written tasks hard."],
    "recommendations": ["Split written tasks into short steps."],
    "learningStyle": "Student A learns best with maps and pictures.",
    "confidence": 0.7,
}
ATTEMPTS = 3  # make_engine: max_retries=2, so three requests before the provider gives up


async def _rows(raw: asyncpg.Connection) -> list[tuple[str, int]]:
    rows = await raw.fetch(
        "SELECT role::text, sequence_number FROM analysis_conversations ORDER BY sequence_number"
    )
    return [(r["role"], r["sequence_number"]) for r in rows]


async def _status(raw: asyncpg.Connection) -> str:
    return await raw.fetchval("SELECT status::text FROM analyses")


async def _failure_reasons(raw: asyncpg.Connection) -> list[str]:
    rows = await raw.fetch(
        "SELECT l.metadata->>'reason' AS reason FROM audit_logs l "
        "JOIN analyses a ON l.resource_id = a.id::text "
        "WHERE l.action = 'UPDATE' AND l.resource = 'Analysis' "
        "AND l.metadata->'changedFields' ? 'status' AND l.metadata ? 'reason' "
        "ORDER BY l.created_at"
    )
    return [r["reason"] for r in rows]


def _reason(raw: str) -> str:
    """The reason the provider gives for malformed JSON, as the repair instruction quotes it."""
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg}"
    raise AssertionError("expected malformed JSON")


def _actions(reply: Reply) -> set[str]:
    return {button.action for button in reply.buttons}


def _analysis_requests(fake: FakeOpenAI) -> list[dict]:
    return [body for body in fake.requests if wants_analysis(body)]


async def _start_in_english(chat: Chat, fake_ai: FakeOpenAI) -> None:
    assert "English" in (await chat.say("lang en"))[0].text
    fake_ai.push_question("What does Student A enjoy most in class?")
    replies = await chat.say("analyze Liam")
    assert replies[1].text == "What does Liam enjoy most in class?"


async def _one_answer_before_the_last(chat: Chat, fake_ai: FakeOpenAI) -> None:
    """Two questions asked (the minimum), one answered: the next answer may end the interview."""
    await _start_in_english(chat, fake_ai)
    fake_ai.push_question("Where does Student A struggle?")
    assert (await chat.say("Liam loves reading and maps."))[0].text == "Where does Liam struggle?"


async def test_a_429_with_retry_after_is_waited_out_and_the_question_is_stored_once(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_error(429, headers={"retry-after-ms": "50"})
    fake_ai.push_question("What does Student A enjoy most in class?")

    replies = await chat.say("analyze Liam")

    assert replies[-1].text == "What does Liam enjoy most in class?"
    assert len(fake_ai.requests) == 2
    assert fake_ai.request_times[1] - fake_ai.request_times[0] >= 0.05
    assert await _rows(raw) == [("SYSTEM", 1), ("ASSISTANT", 2)]
    assert await _status(raw) == "IN_PROGRESS"


async def test_repeated_500s_on_a_question_fail_the_analysis_and_retry_continues_from_stored_turns(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start_in_english(chat, fake_ai)
    for _ in range(ATTEMPTS):
        fake_ai.push_error(500)

    replies = await chat.say("Liam loves reading and maps.")

    assert len(fake_ai.requests) == 1 + ATTEMPTS
    assert await _status(raw) == "FAILED"
    assert "not answering" in replies[-1].text and "retry" in replies[-1].text
    assert "retry" in _actions(replies[-1])
    assert await _failure_reasons(raw) == ["ai_unavailable"]
    assert await _rows(raw) == [("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3)]

    fake_ai.push_question("Where does Student A struggle?")
    replies = await chat.say(action="retry")
    assert replies[-1].text == "Where does Liam struggle?"
    assert await _status(raw) == "IN_PROGRESS"
    # The retry asked from the stored turns: the teacher's answer went out exactly once.
    resent = fake_ai.requests[-1]["messages"]
    assert [m["content"] for m in resent].count("Student A loves reading and maps.") == 1

    fake_ai.push_done()
    fake_ai.push_analysis(ANALYSIS)
    replies = await chat.say("Long written tasks are hard for him.")
    assert "Liam reads fluently." in replies[-1].text
    assert "complete" in (await chat.say(action="save"))[0].text

    assert await _status(raw) == "COMPLETED"
    assert await _rows(raw) == [
        ("SYSTEM", 1),
        ("ASSISTANT", 2),
        ("USER", 3),
        ("ASSISTANT", 4),
        ("USER", 5),
        ("ASSISTANT", 6),
    ]
    assert await _failure_reasons(raw) == ["ai_unavailable", "retry"]


async def test_repeated_500s_while_generating_fail_the_analysis_and_retry_generates_it(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _one_answer_before_the_last(chat, fake_ai)
    fake_ai.push_done()
    for _ in range(ATTEMPTS):
        fake_ai.push_error(503)

    replies = await chat.say("Long written tasks are hard for him.")

    assert len(_analysis_requests(fake_ai)) == ATTEMPTS
    assert await _status(raw) == "FAILED"
    assert "retry" in _actions(replies[-1])
    before = [("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3), ("ASSISTANT", 4), ("USER", 5)]
    assert await _rows(raw) == before

    fake_ai.push_analysis(ANALYSIS)
    requests_before_retry = len(fake_ai.requests)
    replies = await chat.say("retry")
    # Straight to the analysis: no new question is asked about an interview that was over.
    assert len(fake_ai.requests) == requests_before_retry + 1
    assert wants_analysis(fake_ai.requests[-1])
    assert "Liam reads fluently." in replies[-1].text
    assert "save" in _actions(replies[-1])
    assert "complete" in (await chat.say(action="save"))[0].text

    assert await _status(raw) == "COMPLETED"
    assert await _rows(raw) == [*before, ("ASSISTANT", 6)]


async def test_a_malformed_analysis_gets_one_repair_request_and_the_repaired_result_is_stored(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _one_answer_before_the_last(chat, fake_ai)
    fake_ai.push_done()
    fake_ai.push_raw("not json")
    fake_ai.push_analysis(ANALYSIS)

    replies = await chat.say("Long written tasks are hard for him.")

    assert "Liam reads fluently." in replies[-1].text
    first, second = _analysis_requests(fake_ai)
    repair = second["messages"]
    assert repair[: len(first["messages"]) - 1] == first["messages"][:-1]
    assert {"role": "assistant", "content": "not json"} in repair
    bad = repair.index({"role": "assistant", "content": "not json"})
    assert repair[bad + 1] == {"role": "system", "content": repair_instruction(_reason("not json"))}
    assert await _status(raw) == "IN_PROGRESS"
    stored = await raw.fetchrow(
        "SELECT a.results->>'learningStyle' AS style, a.total_tokens, c.role::text AS role "
        "FROM analyses a JOIN analysis_conversations c ON c.analysis_id = a.id "
        "ORDER BY c.sequence_number DESC LIMIT 1"
    )
    assert stored["style"] == "Liam learns best with maps and pictures."
    assert stored["role"] == "ASSISTANT"
    # The discarded reply was billed too.
    billed = sum(r["usage"]["total_tokens"] for r in fake_ai.responses)
    assert stored["total_tokens"] == billed


async def test_the_repair_request_ends_with_the_repair_instruction(
    chat: Chat, fake_ai: FakeOpenAI
) -> None:
    await _one_answer_before_the_last(chat, fake_ai)
    fake_ai.push_done()
    fake_ai.push_raw("not json")
    fake_ai.push_analysis(ANALYSIS)
    await chat.say("Long written tasks are hard for him.")
    first, second = _analysis_requests(fake_ai)
    assert first["messages"][-1]["content"] == analysis_instruction("en")
    # The model sees the instruction it failed, its bad reply, then the repair instruction.
    assert second["messages"][-3:] == [
        {"role": "system", "content": analysis_instruction("en")},
        {"role": "assistant", "content": "not json"},
        {"role": "system", "content": repair_instruction(_reason("not json"))},
    ]


async def test_a_malformed_analysis_twice_fails_the_analysis_with_a_retry_offer(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _one_answer_before_the_last(chat, fake_ai)
    fake_ai.push_done()
    fake_ai.push_raw("not json")
    fake_ai.push_raw('{"strengths": "still not an analysis"}')

    replies = await chat.say("Long written tasks are hard for him.")

    assert len(_analysis_requests(fake_ai)) == 2
    assert await _status(raw) == "FAILED"
    assert "invalid analysis twice" in replies[-1].text
    assert "retry" in _actions(replies[-1])
    assert await _failure_reasons(raw) == ["ai_invalid"]
    analysis_id = await raw.fetchval("SELECT id::text FROM analyses")
    invalid = await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE action = 'UPDATE' AND resource = 'Analysis' "
        "AND resource_id = $1 AND metadata->>'reason' = 'ai_invalid'",
        analysis_id,
    )
    assert invalid == 1
    # No result kept (the ORM writes a JSON null rather than SQL NULL for "none").
    assert await raw.fetchval("SELECT coalesce(results, 'null') = 'null' FROM analyses")


async def test_a_malformed_question_fails_the_analysis_without_claiming_a_bad_analysis(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start_in_english(chat, fake_ai)
    fake_ai.push_raw("not json")
    fake_ai.push_raw("not json")  # the repair request's reply

    replies = await chat.say("Liam loves reading and maps.")

    assert await _status(raw) == "FAILED"
    assert await _failure_reasons(raw) == ["ai_invalid"]
    assert "analysis" not in replies[-1].text and "retry" in replies[-1].text
    assert "retry" in _actions(replies[-1])
    fake_ai.push_question("Where does Student A struggle?")
    assert (await chat.say(action="retry"))[-1].text == "Where does Liam struggle?"


async def test_insufficient_quota_fails_at_once_and_asks_the_teacher_to_contact_the_admin(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_quota_exhausted()

    replies = await chat.say("analyze Liam")

    assert len(fake_ai.requests) == 1
    assert "contact your admin" in replies[-1].text
    assert await _status(raw) == "FAILED"
    assert await _failure_reasons(raw) == ["ai_quota"]


async def test_cancel_mid_interview_keeps_the_analysis_as_failed_with_reason_cancelled(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _start_in_english(chat, fake_ai)
    fake_ai.push_question("Where does Student A struggle?")
    await chat.say("Liam loves reading and maps.")
    requests = len(fake_ai.requests)

    replies = await chat.say("cancel")

    assert "Cancelled" in replies[0].text
    assert len(fake_ai.requests) == requests
    assert await _status(raw) == "FAILED"
    assert await _failure_reasons(raw) == ["cancelled"]
    assert await _rows(raw) == [("SYSTEM", 1), ("ASSISTANT", 2), ("USER", 3), ("ASSISTANT", 4)]
    assert "nothing to cancel" in (await chat.say("cancel"))[0].text
