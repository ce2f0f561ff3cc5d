"""One event being handled: who sent it, where, and the conversation's state record as the
handlers read and change it (`go`, `data`), with the sentences in the person's language."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.events import Incoming, Reply
from bot.help import LISTED
from bot.i18n import t, tn
from bot.states import IDLE
from core import identity
from core.dialogue_states import ConversationState
from core.inbox import Answer

# What a conversation keeps whatever state it moves to: the language followed, and whether a
# person who chose a language was told how to switch when writing in the other (bot.written_in).
KEPT = ("language", "language_noted")


@dataclass
class Context:
    """One event being handled: who, where, and the conversation's state record."""

    event: Incoming
    user: identity.ChatUser
    state: str = IDLE
    analysis_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    # The state record as this event already stored it (None: not stored yet).
    stored: ConversationState | None = None
    # Set when the state record belonged to another user (the account was re-linked).
    ended: bool = False
    # For the exchange's last write: the event answered with these replies (set by the engine).
    closing: Callable[[list[Reply]], Answer | None] | None = None
    # The replies already recorded by a write that answered the event (see flows.advance).
    answered: list[Reply] | None = None
    # Replies that go before the exchange's own (a platform's welcome at first contact).
    before: tuple[Reply, ...] = ()

    @property
    def language(self) -> str:
        """The language to answer in: the one the person chose, else the one their messages
        were written in (`bot.written_in`), else their platform's, else the school's."""
        followed = None if self.user.language_settled else self.data.get("language")
        return str(followed or self.user.language)

    def say(self, key: str, **values: Any) -> str:
        """A catalogue sentence in the user's language."""
        return t(self.language, key, **values)

    def tn(self, key: str, count: int, **values: Any) -> str:
        """A catalogue sentence in the plural form that fits `count`."""
        return tn(self.language, key, count, **values)

    def go(self, state: str, analysis_id: uuid.UUID | None = None, **data: Any) -> None:
        """Move to `state`, keeping only KEPT (the language) among the old data (and, staying
        idle, when the command list was shown: "cancel" with nothing to cancel is no new start)."""
        staying_idle = state == self.state == IDLE
        kept = {k: v for k, v in self.data.items()
                if k in KEPT or (staying_idle and k == LISTED)}  # fmt: skip
        self.state, self.analysis_id = state, analysis_id
        self.data = {**kept, **data}

    def planned(
        self, state: str, analysis_id: uuid.UUID | None, *, keep_data: bool = False
    ) -> ConversationState:
        """The state record after `go(state, analysis_id)` (or as it is, with `keep_data`)."""
        if keep_data:
            data = dict(self.data)
        else:
            data = {k: v for k, v in self.data.items() if k in KEPT and v}
        event = self.event
        return ConversationState(
            event.platform,
            event.workspace_id,
            event.external_user_id,
            self.user.actor.user_id,
            state,
            analysis_id,
            data,
        )
