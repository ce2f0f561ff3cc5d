"""FakeOpenAI: a real local HTTP server speaking the chat-completions wire format."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.base import FakeServer

Default = Literal["auto", "question", "done", "analysis", "error"]

DEFAULT_ANALYSIS: dict[str, Any] = {
    "strengths": ["Student A reads fluently."],
    "weaknesses": ["Student A finds long written tasks hard."],
    "recommendations": ["Split written tasks into short steps."],
    "learningStyle": "Student A learns best with visual examples.",
    "confidence": 0.7,
}


JSON = "application/json"
# Bodies a proxy, a gateway or an "OpenAI-compatible" server has been seen to answer 200 with,
# or could: each must be read as a malformed reply, never crash a turn. (body, content type).
ODD_BODIES: dict[str, tuple[str | bytes, str]] = {
    "html": ("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>", "text/html"),
    "html_as_json": ("<!DOCTYPE html><html><title>Just a moment...</title></html>", JSON),
    "empty": ("", JSON),
    "empty_text": ("", "text/plain"),
    "plain_text": ("upstream connect error or disconnect/reset before headers", "text/plain"),
    "error_object": (
        '{"error": {"message": "The server had an error", "type": "server_error"}}',
        JSON,
    ),
    "error_string": ('{"error": "overloaded"}', JSON),
    "null": ("null", JSON),
    "array": ("[]", JSON),
    "number": ("42", JSON),
    "other_object": ('{"object": "list", "data": []}', JSON),
    "choices_not_a_list": ('{"choices": "abc"}', JSON),
    "choice_without_message": ('{"choices": [{"index": 0}]}', JSON),
    "content_not_text": ('{"choices": [{"message": {"content": {"question": "x"}}}]}', JSON),
    "usage_not_numbers": ('{"choices": [{"message": {"content": "x"}}], "usage": "lots"}', JSON),
    "truncated": ('{"choices": [{"message": {"content": "{\\"quest', JSON),
    "deeply_nested": ("[" * 50_000 + "]" * 50_000, JSON),
    "not_utf8": (b"\xff\xfe{\x00\"choices\x00", JSON),
}


@dataclass
class _Step:
    kind: Literal["content", "refusal", "error", "delay", "body"]
    content: str | None = None
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _texts(body: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [part.get("text", "") for part in content if isinstance(part, dict)]
    return texts


def wants_analysis(body: dict[str, Any]) -> bool:
    """Whether a request's response_format asks for the analysis schema."""
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or {}
    return "strengths" in (schema.get("properties") or {})


class FakeOpenAI(FakeServer):
    """Scripted stand-in for the OpenAI API on 127.0.0.1 (random port); use `async with`."""

    url_path = "/v1"

    def __init__(self) -> None:
        super().__init__()
        self.default: Default = "auto"
        self.default_analysis: dict[str, Any] = dict(DEFAULT_ANALYSIS)
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # successful completions, in order
        self.headers: list[dict[str, str]] = []
        self.request_times: list[float] = []
        # Seconds every reply takes on top of scripted delays (a slow model).
        self.latency = 0.0
        self._queue: deque[_Step] = deque()
        self._ids = itertools.count(1)
        self._questions = itertools.count(1)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """The chat-completions endpoint."""
        router.add_post("/v1/chat/completions", self._handle)

    # -- scripting -----------------------------------------------------------------------------

    def push_question(self, question: str) -> None:
        """Next reply: an interview question."""
        self.push_raw(json.dumps({"question": question, "done": False}, ensure_ascii=False))

    def push_done(self) -> None:
        """Next reply: the model says the interview is done."""
        self.push_raw(json.dumps({"question": None, "done": True}))

    def push_analysis(self, analysis: dict[str, Any]) -> None:
        """Next reply: this analysis object as JSON."""
        self.push_raw(json.dumps(analysis, ensure_ascii=False))

    def push_raw(self, content: str) -> None:
        """Next reply: exactly this message content (e.g. malformed JSON)."""
        self._queue.append(_Step("content", content=content))

    def push_refusal(self, refusal: str) -> None:
        """Next reply: a refusal (content null, `refusal` set)."""
        self._queue.append(_Step("refusal", content=refusal))

    def push_error(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """Next reply: an HTTP error; body may be a dict (JSON) or a string."""
        if body is None:
            body = {"error": {"message": f"fake error {status}", "type": "fake", "code": None}}
        self._queue.append(_Step("error", status=status, body=body, headers=headers or {}))

    def push_quota_exhausted(self) -> None:
        """Next reply: 429 insufficient_quota, as OpenAI sends it."""
        message = "You exceeded your current quota, please check your plan and billing details."
        error = {"message": message, "type": "insufficient_quota", "code": "insufficient_quota"}
        self.push_error(429, {"error": error})

    def push_body(
        self,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/html",
        content_encoding: str | None = None,
    ) -> None:
        """Next reply: this exact HTTP body (an HTML page, nothing, an error object...)."""
        headers = {"Content-Type": content_type}
        if content_encoding is not None:
            headers["Content-Encoding"] = content_encoding
        self._queue.append(_Step("body", status=status, body=body, headers=headers))

    def push_delay(self, seconds: float) -> None:
        """Delay the next request's reply (each request consumes at most one delay)."""
        self._queue.append(_Step("delay", seconds=seconds))

    # -- inspection ----------------------------------------------------------------------------

    def all_sent_text(self) -> str:
        """Every message content of every request, joined: for privacy assertions."""
        return "\n".join(text for body in self.requests for text in _texts(body))

    @property
    def pending(self) -> int:
        """Scripted steps not consumed yet."""
        return len(self._queue)

    # -- server --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append({k.lower(): v for k, v in request.headers.items()})
        self.request_times.append(time.monotonic())
        delay = self._queue.popleft().seconds if self._next_is("delay") else 0.0
        step = self._queue.popleft() if self._queue and not self._next_is("delay") else None
        if delay or self.latency:
            await asyncio.sleep(delay + self.latency)
        step = step or self._default_step(body)
        if step.kind == "body":
            data = step.body if isinstance(step.body, bytes) else step.body.encode()
            return web.Response(status=step.status, body=data, headers=step.headers)
        if step.kind == "error":
            if isinstance(step.body, str):
                return web.Response(status=step.status, text=step.body, headers=step.headers)
            return web.json_response(step.body, status=step.status, headers=step.headers)
        completion = self._completion(body, step)
        self.responses.append(completion)
        return web.json_response(completion)

    def _next_is(self, kind: str) -> bool:
        return bool(self._queue) and self._queue[0].kind == kind

    def _default_step(self, body: dict[str, Any]) -> _Step:
        mode = self.default
        if mode == "auto":
            mode = "analysis" if wants_analysis(body) else "question"
        if mode == "analysis":
            return _Step("content", content=json.dumps(self.default_analysis, ensure_ascii=False))
        if mode == "done":
            return _Step("content", content=json.dumps({"question": None, "done": True}))
        if mode == "error":
            body = {"error": {"message": "fake default error", "type": "server_error"}}
            return _Step("error", status=500, body=body)
        question = f"Default question {next(self._questions)}?"
        return _Step("content", content=json.dumps({"question": question, "done": False}))

    def _completion(self, body: dict[str, Any], step: _Step) -> dict[str, Any]:
        content = step.content if step.kind == "content" else None
        refusal = step.content if step.kind == "refusal" else None
        prompt_tokens = sum(len(t) for t in _texts(body)) // 4
        completion_tokens = len(content or refusal or "") // 4
        return {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
