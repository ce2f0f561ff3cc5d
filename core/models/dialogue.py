"""Where each chat user is in the dialogue, and which platform events were already handled."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, updated_at, uuid_pk
from core.models.enums import ChatPlatform


class DialogueState(Base):
    """The small state record of one conversation; the analysis rows hold everything else."""

    __tablename__ = "dialogue_states"

    id: Mapped[uuid.UUID] = uuid_pk()
    platform: Mapped[ChatPlatform] = mapped_column(Enum(ChatPlatform, name="chat_platform"))
    workspace_id: Mapped[str]
    external_user_id: Mapped[str]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str]
    analysis_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("analyses.id"))
    # Pending choices (student ids), the section being edited, the chat id replies go to.
    data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "external_user_id"),
        Index("ix_dialogue_states_user_id", "user_id"),
    )


class ProcessedEvent(Base):
    """A platform event id already handled: the last line of defence against redelivery."""

    __tablename__ = "processed_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    event_key: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_processed_events_created_at", "created_at"),)
