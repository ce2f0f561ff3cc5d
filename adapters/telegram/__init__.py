"""Telegram adapter: webhook mode inside `serve` (`register`), polling for local use."""

from adapters.telegram.webhook import register

__all__ = ["register"]
