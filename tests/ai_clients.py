"""OpenAIProvider for tests, closed when the test session ends so no HTTP session leaks."""

from __future__ import annotations

from typing import Any

from adapters.openai import OpenAIProvider

_OPEN: list[OpenAIProvider] = []


def openai_provider(**options: Any) -> OpenAIProvider:
    """An OpenAIProvider that a session fixture in conftest closes at the end."""
    provider = OpenAIProvider(**options)
    _OPEN.append(provider)
    return provider


async def close_all() -> None:
    """Close every provider made since the last call."""
    while _OPEN:
        await _OPEN.pop().aclose()
