"""Model replies of any shape (HTML, empty, not JSON, 200 with an error): repair, then FAILED.

Through the real openai client against FakeOpenAI, then through the dialogue: never a crashed
turn, never an analysis left IN_PROGRESS by a body the provider could not read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from adapters.openai import OpenAIProvider
from core.ports.ai import AIInvalidResult, ChatMessage
from core.prompts import repair_instruction, system_prompt
from tests.ai_clients import openai_provider
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import ODD_BODIES, FakeOpenAI, wants_analysis

SHAPES = sorted(ODD_BODIES)
CONVERSATION = [
    ChatMessage("system", system_prompt("en")),
    ChatMessage("user", "Student A is in 4th grade."),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def _provider(fake: FakeOpenAI) -> OpenAIProvider:
    return openai_provider(
        api_key="sk-test", base_url=fake.base_url, model="gpt-test",
        timeout_seconds=5.0, max_retries=0, backoff_base_seconds=0.01,
    )  # fmt: skip


def _push(fake: FakeOpenAI, shape: str) -> None:
    body, content_type = ODD_BODIES[shape]
    fake.push_body(body, content_type=content_type)


@pytest.mark.parametrize("shape", SHAPES)
async def test_an_odd_body_with_status_200_is_an_invalid_result_naming_it(
    fake: FakeOpenAI, shape: str
) -> None:
    _push(fake, shape)
    with pytest.raises(AIInvalidResult) as caught:
        await _provider(fake).produce_analysis(CONVERSATION, language="en")
    assert caught.value.reason.startswith("not a chat completion"), caught.value.reason
    # A page of HTML is not echoed back to the model in the repair request, nor in full here.
    assert caught.value.raw == ""
    assert len(caught.value.reason) < 200


async def test_a_200_error_object_names_its_message(fake: FakeOpenAI) -> None:
    _push(fake, "error_object")
    with pytest.raises(AIInvalidResult) as caught:
        await _provider(fake).produce_analysis(CONVERSATION, language="en")
    assert "an error object" in caught.value.reason
    assert "The server had an error" in caught.value.reason


@pytest.mark.parametrize("shape", ["html", "empty", "error_object", "truncated"])
async def test_an_odd_body_for_a_question_gets_one_repair_request(
    fake: FakeOpenAI, shape: str
) -> None:
    _push(fake, shape)
    fake.push_question("What does Student A enjoy?")
    step = await _provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert step.question == "What does Student A enjoy?"
    first, second = fake.requests
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2]["content"] == "(no content)"
    assert second["messages"][-1]["role"] == "system"
    assert second["messages"][-1]["content"].startswith(repair_instruction("x")[:40])


async def test_a_malformed_question_twice_is_an_invalid_result(fake: FakeOpenAI) -> None:
    fake.push_raw("not json")
    _push(fake, "html")
    with pytest.raises(AIInvalidResult) as caught:
        await _provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert "not JSON" in caught.value.reason
    assert len(fake.requests) == 2
    # The malformed content is what the model sees it wrote, with the reason after it.
    assert {"role": "assistant", "content": "not json"} in fake.requests[1]["messages"]


# -- in the dialogue ---------------------------------------------------------------------------


async def _status(raw: asyncpg.Connection) -> str:
    return await raw.fetchval("SELECT status::text FROM analyses")


async def _to_generation(chat: Chat, fake_ai: FakeOpenAI) -> None:
    """English, Liam, two questions answered: the next answer may end the interview."""
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    fake_ai.push_question("Where does Student A struggle?")
    await chat.say("Liam loves reading and maps.")


@pytest.mark.parametrize("shape", ["html", "empty", "plain_text", "error_object", "array"])
async def test_an_odd_analysis_body_twice_fails_the_analysis_with_a_retry_offer(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, shape: str
) -> None:
    await _to_generation(chat, fake_ai)
    fake_ai.push_done()
    _push(fake_ai, shape)
    _push(fake_ai, shape)

    replies = await chat.say("Long written tasks are hard for him.")

    assert len([b for b in fake_ai.requests if wants_analysis(b)]) == 2
    assert await _status(raw) == "FAILED"
    assert "retry" in {b.action for b in replies[-1].buttons}
    fake_ai.default = "auto"
    after = await chat.say(action="retry")
    assert "Liam reads fluently." in after[-1].text  # generated, in the teacher's review
    assert await raw.fetchval("SELECT results->>'learningStyle' FROM analyses") is not None


async def test_an_html_page_then_a_good_analysis_is_repaired_and_stored(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await _to_generation(chat, fake_ai)
    fake_ai.push_done()
    _push(fake_ai, "html")

    replies = await chat.say("Long written tasks are hard for him.")

    assert "Liam reads fluently." in replies[-1].text
    assert await _status(raw) == "IN_PROGRESS"  # generated, waiting for the teacher's review
    assert await raw.fetchval("SELECT results->>'learningStyle' FROM analyses") is not None


@pytest.mark.parametrize("shape", ["html", "empty", "error_object"])
async def test_an_odd_question_body_twice_fails_with_retry_and_retry_asks_again(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, shape: str
) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    _push(fake_ai, shape)
    _push(fake_ai, shape)

    replies = await chat.say("Liam loves reading and maps.")

    assert await _status(raw) == "FAILED"
    assert "retry" in {b.action for b in replies[-1].buttons}
    fake_ai.push_question("Where does Student A struggle?")
    assert (await chat.say(action="retry"))[-1].text == "Where does Liam struggle?"
