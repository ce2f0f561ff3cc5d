"""OpenAIProvider through the real openai client against FakeOpenAI over local HTTP."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import AsyncIterator

import pytest

from adapters.openai import OpenAIProvider
from adapters.openai.provider import MAX_RETRY_AFTER_SECONDS, retry_delay
from core.ports.ai import (
    AIInvalidResult,
    AIProvider,
    AIQuotaExhausted,
    AIUnavailable,
    AnalysisResult,
    ChatMessage,
)
from core.privacy import Pseudonymizer
from core.prompts import (
    analysis_instruction,
    analysis_json_schema,
    question_instruction,
    question_json_schema,
    retry_question_instruction,
    system_prompt,
)
from tests.ai_clients import openai_provider
from tests.fakes.openai_server import FakeOpenAI

MODEL = "gpt-test"
ANALYSIS = {
    "strengths": ["Student A reads fluently."],
    "weaknesses": ["Student A rushes maths homework."],
    "recommendations": ["Check Student A's work before it is handed in."],
    "learningStyle": "Visual, with short tasks.",
    "confidence": 0.8,
}
CONVERSATION = [
    ChatMessage("system", system_prompt("en")),
    ChatMessage("user", "Student A is in 4th grade."),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def provider(fake: FakeOpenAI, **overrides: float) -> OpenAIProvider:
    options: dict[str, float] = {"timeout_seconds": 5.0, "backoff_base_seconds": 0.01}
    options.update(overrides)
    return openai_provider(
        api_key="sk-test",
        base_url=fake.base_url,
        model=MODEL,
        timeout_seconds=options["timeout_seconds"],
        max_retries=int(options.get("max_retries", 3)),
        backoff_base_seconds=options["backoff_base_seconds"],
    )


def expected_usage(body: dict, completion: str) -> tuple[int, int]:
    sent = sum(len(m["content"]) for m in body["messages"])
    return sent // 4, len(completion) // 4


# -- interview turns ---------------------------------------------------------------------------


async def test_question_step(fake: FakeOpenAI) -> None:
    ai: AIProvider = provider(fake)
    fake.push_question("What does Student A enjoy most?")
    step = await ai.next_question(CONVERSATION, language="en", may_finish=True)
    assert step.question == "What does Student A enjoy most?"
    assert not step.done
    body = fake.requests[0]
    content = '{"question": "What does Student A enjoy most?", "done": false}'
    prompt, completion = expected_usage(body, content)
    assert (step.usage.prompt_tokens, step.usage.completion_tokens) == (prompt, completion)
    assert step.usage.model == MODEL == ai.name


async def test_question_request_body(fake: FakeOpenAI) -> None:
    fake.push_question("Q?")
    await provider(fake).next_question(CONVERSATION, language="he", may_finish=False)
    body = fake.requests[0]
    assert body["model"] == MODEL
    assert body["messages"] == [
        {"role": "system", "content": system_prompt("en")},
        {"role": "user", "content": "Student A is in 4th grade."},
        {"role": "system", "content": question_instruction("he", may_finish=False)},
    ]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "interview_turn", "strict": True, "schema": question_json_schema()},
    }


async def test_system_prompt_is_added_when_missing(fake: FakeOpenAI) -> None:
    await provider(fake).next_question([ChatMessage("user", "hi")], language="he", may_finish=True)
    messages = fake.requests[0]["messages"]
    assert messages[0] == {"role": "system", "content": system_prompt("he")}
    assert [m["role"] for m in messages] == ["system", "user", "system"]


async def test_done_is_accepted_when_the_interview_may_finish(fake: FakeOpenAI) -> None:
    fake.push_done()
    step = await provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert step.done and step.question is None
    assert len(fake.requests) == 1


async def test_done_is_ignored_when_it_may_not_finish_and_asked_again_once(
    fake: FakeOpenAI,
) -> None:
    fake.push_done()
    fake.push_question("How does Student A handle group work?")
    step = await provider(fake).next_question(CONVERSATION, language="en", may_finish=False)
    assert step.question == "How does Student A handle group work?"
    assert not step.done
    assert len(fake.requests) == 2
    first, second = fake.requests
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2:] == [
        {"role": "assistant", "content": '{"question": null, "done": true}'},
        {"role": "system", "content": retry_question_instruction()},
    ]
    # Usage covers both calls.
    p1, c1 = expected_usage(first, '{"question": null, "done": true}')
    p2, _ = expected_usage(second, "")
    assert step.usage.prompt_tokens == p1 + p2
    assert step.usage.completion_tokens > c1


async def test_done_twice_when_it_may_not_finish_is_an_invalid_result(fake: FakeOpenAI) -> None:
    fake.push_done()
    fake.push_done()
    with pytest.raises(AIInvalidResult) as caught:
        await provider(fake).next_question(CONVERSATION, language="en", may_finish=False)
    assert len(fake.requests) == 2
    assert caught.value.usage is not None and caught.value.usage.prompt_tokens > 0


async def test_done_with_a_question_uses_the_question_when_it_may_not_finish(
    fake: FakeOpenAI,
) -> None:
    fake.push_raw('{"question": "One more: how is Student A at sport?", "done": true}')
    step = await provider(fake).next_question(CONVERSATION, language="en", may_finish=False)
    assert step.question == "One more: how is Student A at sport?" and not step.done
    assert len(fake.requests) == 1


async def test_malformed_question_reply_twice_is_an_invalid_result(fake: FakeOpenAI) -> None:
    fake.push_raw("not json")  # repaired once, like an analysis
    fake.push_raw("not json")
    with pytest.raises(AIInvalidResult) as caught:
        await provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert caught.value.raw == "not json"


# -- analysis ----------------------------------------------------------------------------------


async def test_valid_analysis_with_usage(fake: FakeOpenAI) -> None:
    fake.push_analysis(ANALYSIS)
    reply = await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert reply.result == AnalysisResult(**ANALYSIS)
    body = fake.requests[0]
    prompt, completion = expected_usage(body, reply.raw)
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (prompt, completion)
    assert reply.usage.total_tokens == prompt + completion
    assert body["messages"][-1] == {"role": "system", "content": analysis_instruction("en")}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "analysis_result",
            "strict": True,
            "schema": AnalysisResult.model_json_schema(),
        },
    }
    assert analysis_json_schema() == AnalysisResult.model_json_schema()


async def test_fenced_json_is_accepted(fake: FakeOpenAI) -> None:
    fake.push_raw(
        '```json\n{"strengths": [], "weaknesses": [], "recommendations": [], '
        '"learningStyle": "x", "confidence": 0.5}\n```'
    )
    reply = await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert reply.result.confidence == 0.5


async def test_malformed_json_is_an_invalid_result_with_raw(fake: FakeOpenAI) -> None:
    fake.push_raw('{"strengths": ["cut off')
    with pytest.raises(AIInvalidResult) as caught:
        await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert caught.value.raw == '{"strengths": ["cut off'
    assert caught.value.reason.startswith("invalid JSON")
    assert caught.value.usage is not None and caught.value.usage.completion_tokens > 0


async def test_schema_mismatch_is_an_invalid_result(fake: FakeOpenAI) -> None:
    fake.push_analysis({**ANALYSIS, "confidence": 1.5, "extra": "no"})
    with pytest.raises(AIInvalidResult) as caught:
        await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert caught.value.reason.startswith("schema mismatch")
    assert "confidence" in caught.value.reason and "extra" in caught.value.reason
    assert '"extra": "no"' in caught.value.raw


async def test_refusal_is_an_invalid_result(fake: FakeOpenAI) -> None:
    fake.push_refusal("I can't help with that.")
    with pytest.raises(AIInvalidResult) as caught:
        await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert "refused" in caught.value.reason
    assert caught.value.raw == "I can't help with that."


# -- retries and failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "wait"), [({"retry-after-ms": "200"}, 0.2), ({"retry-after": "1"}, 1.0)]
)
async def test_429_honours_retry_after_then_succeeds(
    fake: FakeOpenAI, headers: dict[str, str], wait: float
) -> None:
    fake.push_error(429, headers=headers)
    fake.push_question("After the wait?")
    # A huge backoff base proves the header, not the backoff, set the wait.
    step = await provider(fake, backoff_base_seconds=30.0).next_question(
        CONVERSATION, language="en", may_finish=True
    )
    assert step.question == "After the wait?"
    assert len(fake.requests) == 2
    gap = fake.request_times[1] - fake.request_times[0]
    assert wait <= gap < wait + 0.5


async def test_repeated_500_gives_up_after_max_retries(fake: FakeOpenAI) -> None:
    fake.default = "error"
    with pytest.raises(AIUnavailable):
        await provider(fake, max_retries=2).produce_analysis(CONVERSATION, language="en")
    assert len(fake.requests) == 3
    # The client's own retries are off: every request is a first try as far as it knows.
    assert [h["x-stainless-retry-count"] for h in fake.headers] == ["0", "0", "0"]


async def test_500_then_success(fake: FakeOpenAI) -> None:
    fake.push_error(500)
    fake.push_error(503, body="Service Unavailable")
    fake.push_analysis(ANALYSIS)
    reply = await provider(fake).produce_analysis(CONVERSATION, language="en")
    assert reply.result.confidence == 0.8
    assert len(fake.requests) == 3


async def test_insufficient_quota_is_not_retried(fake: FakeOpenAI) -> None:
    fake.push_quota_exhausted()
    with pytest.raises(AIQuotaExhausted):
        await provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert len(fake.requests) == 1


async def test_client_errors_are_not_retried(fake: FakeOpenAI) -> None:
    fake.push_error(400, {"error": {"message": "bad request", "type": "invalid_request_error"}})
    with pytest.raises(AIUnavailable):
        await provider(fake).next_question(CONVERSATION, language="en", may_finish=True)
    assert len(fake.requests) == 1


async def test_slow_reply_times_out(fake: FakeOpenAI) -> None:
    fake.push_delay(1.0)
    fake.push_delay(1.0)
    ai = provider(fake, timeout_seconds=0.3, max_retries=1)
    started = time.monotonic()
    with pytest.raises(AIUnavailable):
        await ai.next_question(CONVERSATION, language="en", may_finish=True)
    elapsed = time.monotonic() - started
    assert len(fake.requests) == 2
    assert 0.6 <= elapsed < 1.0


async def test_the_configured_timeout_reaches_the_client(fake: FakeOpenAI) -> None:
    await provider(fake, timeout_seconds=7.5).next_question(
        CONVERSATION, language="en", may_finish=True
    )
    assert fake.headers[0]["x-stainless-read-timeout"] == "7.5"


async def test_connection_refused_is_unavailable_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ai = openai_provider(
        api_key="sk-test",
        base_url=f"http://127.0.0.1:{port}/v1",
        model=MODEL,
        max_retries=1,
        backoff_base_seconds=0.01,
    )
    with pytest.raises(AIUnavailable, match="2 attempts"):
        await ai.produce_analysis(CONVERSATION, language="en")


# -- the delay policy itself -------------------------------------------------------------------


def test_retry_delay_prefers_milliseconds_and_caps_server_hints() -> None:
    assert retry_delay(0, {"retry-after-ms": "250", "retry-after": "9"}, base=1) == 0.25
    assert retry_delay(0, {"Retry-After": "2"}, base=1) == 2.0
    assert retry_delay(0, {"retry-after": "3600"}, base=1) == MAX_RETRY_AFTER_SECONDS
    in_3s = email.utils.formatdate(time.time() + 3, usegmt=True)
    assert 1.0 < retry_delay(0, {"retry-after": in_3s}, base=1) <= 3.0


def test_retry_delay_backs_off_exponentially_with_jitter() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (10, 8.0)]:
        delays = {retry_delay(attempt, None, base=0.5) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


async def test_only_pseudonymised_text_goes_over_the_wire(fake: FakeOpenAI) -> None:
    pseudo = Pseudonymizer("דוד", "כהן", first_name_spellings=["David"])
    said = "דוד כהן (david@x.com, 054-1234567) מתקשה. ולדוד יש חברים."
    messages = [*CONVERSATION, ChatMessage("user", pseudo.redact(said))]
    fake.push_question("What helps Student A?")
    step = await provider(fake).next_question(messages, language="he", may_finish=True)
    sent = fake.all_sent_text()
    for secret in ("דוד", "כהן", "David", "david@x.com", "054-1234567"):
        assert secret not in sent
    assert "ולStudent A יש חברים" in sent
    assert pseudo.restore(step.question or "") == "What helps דוד?"
