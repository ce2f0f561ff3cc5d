"""What the dialogue's steps need from outside, passed to every handler instead of the engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.ports.charts import ChartRenderer
from core.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.context import Context
    from bot.engine import DialogueSettings
    from bot.interview import Interviewer


@dataclass(frozen=True)
class Deps:
    """Units of work, the interviewer, the dialogue settings, charts, and a state checkpoint."""

    uow: Callable[[], UnitOfWork]
    # Read-only use cases: on the read replica when one is configured.
    read_uow: Callable[[], UnitOfWork]
    interviewer: Interviewer
    settings: DialogueSettings
    charts: ChartRenderer | None
    # Stores the conversation's state now (before a long model call), as the engine would.
    checkpoint: Callable[[Context], Awaitable[None]]
    # The Telegram bot's username once the adapter knows it (for invite deep links).
    bot_username: Callable[[], str | None]
