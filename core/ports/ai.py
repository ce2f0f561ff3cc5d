"""The AI port: what the analysis conversation needs from a language model, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class AnalysisResult(BaseModel):
    """The structured analysis a model must produce; anything else is an invalid result."""

    model_config = ConfigDict(extra="forbid")

    strengths: list[str]
    weaknesses: list[str]
    recommendations: list[str]
    learningStyle: str
    confidence: float = Field(ge=0.0, le=1.0)


@dataclass(frozen=True)
class ChatMessage:
    """One message sent to the model; content is already pseudonymised."""

    role: Literal["system", "assistant", "user"]
    content: str


@dataclass(frozen=True)
class Usage:
    """Token counts as the provider reported them."""

    prompt_tokens: int
    completion_tokens: int
    model: str

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class InterviewStep:
    """The model's next move in the interview: one question, or `done` when it has enough."""

    question: str | None
    done: bool
    usage: Usage


@dataclass(frozen=True)
class AnalysisReply:
    """A validated analysis, the raw text it came from, and its usage."""

    result: AnalysisResult
    raw: str
    usage: Usage


class AIError(Exception):
    """Base of every failure of the AI provider."""


class AIUnavailable(AIError):
    """The provider kept failing (timeouts, 429, 5xx) after the allowed retries."""


class AIQuotaExhausted(AIError):
    """The provider account has no quota left (`insufficient_quota`); retrying will not help."""


class AIInvalidResult(AIError):
    """The model returned something that is not a valid analysis (or refused)."""

    def __init__(self, reason: str, raw: str = "", usage: Usage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw
        self.usage = usage


class AIProvider(Protocol):
    """A language model able to run an interview and write the analysis."""

    @property
    def name(self) -> str:
        """Model name, used for the price table and the audit trail."""
        ...

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """Ask the next focused question, or report `done` (only when `may_finish`)."""
        ...

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """Write the structured analysis; raise AIInvalidResult when it does not validate."""
        ...
