"""Where each chat user is in the dialogue; the platform events in, and the replies out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Identity, Index, UniqueConstraint, text
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


class InboxEvent(Base):
    """A platform event stored before it is acknowledged; answered once, pruned after a while.

    The unique event key is the redelivery guard; `payload` is what the adapter needs to run
    the turn again after a crash (it holds message text: never logged).
    """

    __tablename__ = "inbox_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    # Arrival order: a conversation's events are taken in `seq` order.
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    event_key: Mapped[str] = mapped_column(unique=True)
    conversation_key: Mapped[str]
    payload: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(server_default="0")
    # The event's own write (the teacher's answer) is stored: a replay must not store it again.
    applied_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index(
            "ix_inbox_events_unanswered",
            "conversation_key",
            "seq",
            postgresql_where=text("answered_at IS NULL"),
        ),
        Index("ix_inbox_events_created_at", "created_at"),
    )


class OutboxReply(Base):
    """A reply recorded before it is sent, marked sent after; unsent ones are sent again."""

    __tablename__ = "outbox_replies"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    event_key: Mapped[str]
    chat_key: Mapped[str]
    route: Mapped[dict[str, Any]]
    reply: Mapped[dict[str, Any]]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index(
            "ix_outbox_replies_unsent", "chat_key", "seq", postgresql_where=text("sent_at IS NULL")
        ),
        Index("ix_outbox_replies_created_at", "created_at"),
    )
