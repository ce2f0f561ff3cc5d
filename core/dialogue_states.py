"""The dialogue_states row as plain values, and its upsert (one cached statement).

The dialogue engine keeps a conversation's small state record here. A service that ends an
exchange (the assistant's question) may write it in its own transaction, so the exchange
needs no further unit of work; core knows only the values, never the dialogue itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ChatPlatform, DialogueState


@dataclass(frozen=True)
class ConversationState:
    """One conversation's state record: who, which step, which analysis, small data."""

    platform: ChatPlatform
    workspace_id: str
    external_user_id: str
    user_id: uuid.UUID | None
    state: str
    analysis_id: uuid.UUID | None
    data: dict[str, Any]


_TABLE = DialogueState.__table__
_INSERT = insert(_TABLE)
_UPSERT = _INSERT.on_conflict_do_update(
    index_elements=["platform", "workspace_id", "external_user_id"],
    set_={name: _INSERT.excluded[name] for name in ("state", "analysis_id", "data", "user_id")},
)


async def save_state(session: AsyncSession, values: ConversationState) -> None:
    """Insert or update the conversation's row (the trigger keeps `updated_at` current)."""
    await session.execute(
        _UPSERT,
        {
            "platform": values.platform,
            "workspace_id": values.workspace_id,
            "external_user_id": values.external_user_id,
            "user_id": values.user_id,
            "state": values.state,
            "analysis_id": values.analysis_id,
            "data": values.data,
        },
    )
