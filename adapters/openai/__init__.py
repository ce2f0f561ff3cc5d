"""The OpenAI adapter of the AI port."""

from adapters.openai.provider import OpenAIProvider

__all__ = ["OpenAIProvider"]
