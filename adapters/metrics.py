"""Prometheus metrics of one serve process, and an AI provider wrapper that feeds them."""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from core.ports.ai import AIError, AIProvider, AnalysisReply, ChatMessage, InterviewStep


class Metrics:
    """Counters and histograms, in a registry of their own (one per app, test-friendly)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ge_requests", "HTTP requests received", ["platform"], registry=self.registry
        )
        self.turns = Counter(
            "ge_turns", "Dialogue events handled", ["platform"], registry=self.registry
        )
        self.errors = Counter(
            "ge_errors", "Errors while handling events", ["platform"], registry=self.registry
        )
        self.turns_waiting = Gauge(
            "ge_turns_waiting",
            "Events acknowledged and waiting for a free turn slot",
            registry=self.registry,
        )
        self.ai_latency = Histogram(
            "ge_ai_latency_seconds", "AI call latency", ["model"], registry=self.registry
        )
        self.ai_tokens = Counter(
            "ge_ai_tokens", "AI tokens used", ["model"], registry=self.registry
        )
        self.ai_errors = Counter(
            "ge_ai_errors", "AI calls that failed", ["model"], registry=self.registry
        )

    def render(self) -> bytes:
        """Prometheus text exposition."""
        return generate_latest(self.registry)


class InstrumentedAI:
    """An AIProvider that records latency, tokens and failures of the one it wraps."""

    def __init__(self, inner: AIProvider, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @property
    def name(self) -> str:
        """The wrapped model's name."""
        return self._inner.name

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """Timed `next_question` of the wrapped provider."""
        started = time.perf_counter()
        try:
            step = await self._inner.next_question(
                messages, language=language, may_finish=may_finish
            )
        except AIError:
            self._metrics.ai_errors.labels(self.name).inc()
            raise
        finally:
            self._metrics.ai_latency.labels(self.name).observe(time.perf_counter() - started)
        self._metrics.ai_tokens.labels(self.name).inc(step.usage.total_tokens)
        return step

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """Timed `produce_analysis` of the wrapped provider."""
        started = time.perf_counter()
        try:
            reply = await self._inner.produce_analysis(messages, language=language)
        except AIError:
            self._metrics.ai_errors.labels(self.name).inc()
            raise
        finally:
            self._metrics.ai_latency.labels(self.name).observe(time.perf_counter() - started)
        self._metrics.ai_tokens.labels(self.name).inc(reply.usage.total_tokens)
        return reply
