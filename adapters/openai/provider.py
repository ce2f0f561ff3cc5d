"""OpenAIProvider: the AI port over the official openai client, with an explicit retry policy."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

import openai
from pydantic import BaseModel

from adapters.openai.client import AsyncOpenAI
from adapters.openai.completion import parse_reply, read_completion
from adapters.openai.transport import LeanAsyncClient
from core.ports.ai import (
    AIInvalidResult,
    AIQuotaExhausted,
    AIUnavailable,
    AnalysisReply,
    AnalysisResult,
    ChatMessage,
    InterviewStep,
    Usage,
)
from core.prompts import (
    QuestionReply,
    analysis_instruction,
    analysis_json_schema,
    question_instruction,
    question_json_schema,
    repair_instruction,
    retry_question_instruction,
    system_prompt,
)

log = logging.getLogger(__name__)

# A teacher is waiting in a chat: never sleep longer than this on a server's say-so.
MAX_RETRY_AFTER_SECONDS = 20.0
MAX_BACKOFF_SECONDS = 8.0
_RETRYABLE_STATUS = frozenset({408, 429})
_TELEMETRY_HEADERS = (
    "X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-OS", "X-Stainless-Arch",
    "X-Stainless-Runtime", "X-Stainless-Runtime-Version", "X-Stainless-Async",
)  # fmt: skip
# The SDK takes Omit() for a header to leave out, though its annotation says str.
_NO_TELEMETRY = cast(dict[str, str], dict.fromkeys(_TELEMETRY_HEADERS, openai.Omit()))

M = TypeVar("M", bound=BaseModel)


def retry_delay(attempt: int, headers: Mapping[str, str] | None, *, base: float) -> float:
    """Seconds before retry `attempt` (0-based): the server's retry-after if any, else backoff."""
    hinted = _retry_after(headers)
    if hinted is not None:
        return min(max(hinted, 0.0), MAX_RETRY_AFTER_SECONDS)
    ceiling = min(base * 2**attempt, MAX_BACKOFF_SECONDS)
    # "Equal jitter": at least half the backoff, so retries spread without collapsing to zero.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lower.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds):
            return seconds
    parsed = email.utils.parsedate_tz(lower.get("retry-after", "") or "")
    if parsed is None:
        return None
    return email.utils.mktime_tz(parsed) - time.time()


def _is_quota_error(exc: openai.APIStatusError) -> bool:
    return "insufficient_quota" in (exc.code, exc.type)


def _response_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


class OpenAIProvider:
    """AIProvider over OpenAI chat completions with structured (JSON schema) outputs."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout_seconds: float = 60.0,
        max_retries: int = 3,
        backoff_base_seconds: float = 0.5,
    ) -> None:
        self._model = model
        self._max_retries = max_retries
        self._backoff_base = backoff_base_seconds
        # The client's own retries are off: the policy below is the only one, so it is testable.
        # Its HTTP goes over aiohttp with no per-call layers (adapters/openai/transport.py):
        # same errors and timeouts, less CPU per call, which every exchange pays. The SDK's
        # platform telemetry headers are left out: seven headers built, merged and sent per
        # call that the API needs none of (the retry count and read timeout stay).
        self._client = AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_seconds,
            max_retries=0,
            http_client=LeanAsyncClient(timeout=timeout_seconds),
            default_headers=_NO_TELEMETRY,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    @property
    def name(self) -> str:
        """The configured model name."""
        return self._model

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """Ask for the next question; a forbidden `done` or a malformed reply gets one re-ask.

        A second failure raises AIInvalidResult (with both calls' usage).
        """
        wire = self._wire(messages, language)
        wire.append(_system(question_instruction(language, may_finish=may_finish)))
        fmt = _response_format("interview_turn", question_json_schema())
        try:
            reply, raw, usage = await self._structured(wire, fmt, QuestionReply)
        except AIInvalidResult as bad:
            # Like the analysis: the broken reply, then what was wrong with it, asked once.
            usage = bad.usage or Usage(0, 0, self._model)
            content = bad.raw or "(no content)"
            wire += [
                {"role": "assistant", "content": content},
                _system(repair_instruction(bad.reason)),
            ]
        else:
            if may_finish and reply.done:
                return InterviewStep(question=None, done=True, usage=usage)
            question = _question_text(reply)
            if question:
                return InterviewStep(question=question, done=False, usage=usage)
            # Finishing too early is a normal model habit, not a broken reply: insist once.
            wire += [{"role": "assistant", "content": raw}, _system(retry_question_instruction())]
        try:
            reply, raw, second = await self._structured(wire, fmt, QuestionReply)
        except AIInvalidResult as exc:
            raise AIInvalidResult(exc.reason, exc.raw, _add(usage, exc.usage)) from None
        usage = _add(usage, second)
        if may_finish and reply.done:
            return InterviewStep(question=None, done=True, usage=usage)
        question = _question_text(reply)
        if not question:
            raise AIInvalidResult("no question although the interview may not finish", raw, usage)
        return InterviewStep(question=question, done=False, usage=usage)

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """Request the structured analysis; a refusal or invalid output raises AIInvalidResult."""
        wire = self._wire(messages, language)
        # A caller ending on its own instruction (the repair request) already said what to do.
        if wire[-1]["role"] != "system" or len(wire) == 1:
            wire.append(_system(analysis_instruction(language)))
        fmt = _response_format("analysis_result", analysis_json_schema())
        result, raw, usage = await self._structured(wire, fmt, AnalysisResult)
        return AnalysisReply(result=result, raw=raw, usage=usage)

    def _wire(self, messages: Sequence[ChatMessage], language: str) -> list[dict[str, str]]:
        wire = [{"role": m.role, "content": m.content} for m in messages]
        # The engine normally sends the system prompt; never talk to the model without one.
        if not wire or wire[0]["role"] != "system":
            wire.insert(0, _system(system_prompt(language)))
        return wire

    async def _structured(
        self, wire: list[dict[str, str]], fmt: dict[str, Any], model: type[M]
    ) -> tuple[M, str, Usage]:
        body = await self._create(wire, fmt)
        raw, usage = read_completion(body, self._model)
        return parse_reply(model, raw, usage), raw, usage

    async def _create(self, wire: list[dict[str, str]], fmt: dict[str, Any]) -> bytes:
        last: Exception | None = None
        for attempt in range(self._max_retries + 1):
            headers: Mapping[str, str] | None = None
            try:
                # The client's JSON POST with a plain body: `chat.completions.create` would
                # first walk every message and the schema to transform typed params, which was
                # the largest CPU cost of an exchange; our body is plain JSON already, and the
                # request around it is the one the SDK built for the endpoint (client.py). The
                # body comes back as bytes (HTTP errors still raise): with a model class the
                # client returns whatever a 200 held, a str for an HTML page, unchecked; as
                # bytes it skips decoding to text, which pydantic's JSON parser does not need.
                return await self._client.post_json(
                    "/chat/completions",
                    {"model": self._model, "messages": wire, "response_format": fmt},
                )
            except openai.APIStatusError as exc:
                if exc.status_code == 429 and _is_quota_error(exc):
                    raise AIQuotaExhausted(str(exc)) from exc
                if exc.status_code not in _RETRYABLE_STATUS and exc.status_code < 500:
                    raise AIUnavailable(f"OpenAI rejected the request: {exc}") from exc
                headers = exc.response.headers
                last = exc
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                last = exc
            if attempt < self._max_retries:
                delay = retry_delay(attempt, headers, base=self._backoff_base)
                log.warning("OpenAI call failed (%s); retry %d in %.2fs", last, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise AIUnavailable(f"OpenAI unavailable after {self._max_retries + 1} attempts: {last}")


def _system(content: str) -> dict[str, str]:
    return {"role": "system", "content": content}


def _question_text(reply: QuestionReply) -> str:
    # When finishing is not allowed a `done` flag is ignored: a question present is still used.
    return (reply.question or "").strip()


def _add(a: Usage, b: Usage | None) -> Usage:
    if b is None:
        return a
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        model=a.model,
    )
