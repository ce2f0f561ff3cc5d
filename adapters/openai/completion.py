"""Reading a chat-completions HTTP body of any shape: the reply text, or AIInvalidResult."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.ports.ai import AIInvalidResult, Usage

M = TypeVar("M", bound=BaseModel)
# How much of a body that is not a completion is named in a reason (it goes to the model in
# the repair request and into the logs; an HTML error page has no business in either).
SNIPPET_CHARS = 120


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message


class _Usage(BaseModel):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0


class _Completion(BaseModel):
    """The part of a chat completion we read; anything else in the body is ignored."""

    choices: list[_Choice]
    usage: _Usage | None = None


def read_completion(body: str | bytes, model: str) -> tuple[str, Usage]:
    """The first choice's content and the usage; AIInvalidResult for any other body.

    A proxy's HTML page, an empty body, an error object sent with status 200, or JSON of
    another shape all end up here, and are treated like a malformed reply: the caller repairs
    once, then fails the analysis with a retry offer.
    """
    try:
        completion = _Completion.model_validate_json(body)
    except ValidationError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise AIInvalidResult(_not_a_completion(text), "", _zero(model)) from None
    usage = _zero(model)
    if completion.usage is not None:
        usage = Usage(
            prompt_tokens=completion.usage.prompt_tokens or 0,
            completion_tokens=completion.usage.completion_tokens or 0,
            model=model,
        )
    if not completion.choices:
        raise AIInvalidResult("empty response: no choices", "", usage)
    message = completion.choices[0].message
    if message.refusal:
        raise AIInvalidResult(f"refused: {message.refusal}", message.refusal, usage)
    return message.content or "", usage


def _zero(model: str) -> Usage:
    return Usage(prompt_tokens=0, completion_tokens=0, model=model)


def _not_a_completion(body: str) -> str:
    """A short reason naming what came instead of a completion."""
    if not body.strip():
        return "not a chat completion: empty body"
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        snippet = " ".join(body.split())[:SNIPPET_CHARS]
        return f"not a chat completion: not JSON ({snippet!r})"
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        message = str(data["error"].get("message") or "")[:SNIPPET_CHARS]
        return f"not a chat completion: an error object ({message!r})"
    return f"not a chat completion: JSON {type(data).__name__} of another shape"


def strip_fences(text: str) -> str:
    """The JSON inside ```json fences, which servers without strict mode sometimes add."""
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        stripped = stripped[3:-3]
        if stripped.lstrip().lower().startswith("json"):
            stripped = stripped.lstrip()[4:]
    return stripped.strip()


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def parse_reply(model: type[M], raw: str, usage: Usage) -> M:
    """The model's content as `model`; AIInvalidResult naming what is wrong otherwise."""
    try:
        data = json.loads(strip_fences(raw))
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise AIInvalidResult(f"invalid JSON: {reason}", raw=raw, usage=usage) from None
    except RecursionError:
        raise AIInvalidResult("invalid JSON: nested too deeply", raw=raw, usage=usage) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AIInvalidResult(f"schema mismatch: {_describe(exc)}", raw=raw, usage=usage) from None
