"""Chat identities (a Slack, Telegram or shell account mapped to one user) and link codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, updated_at, uuid_pk
from core.models.enums import ChatPlatform


class ChatIdentity(Base):
    __tablename__ = "chat_identities"

    id: Mapped[uuid.UUID] = uuid_pk()
    platform: Mapped[ChatPlatform] = mapped_column(Enum(ChatPlatform, name="chat_platform"))
    # Slack team id, Telegram bot id, or "local" for the terminal.
    workspace_id: Mapped[str]
    external_user_id: Mapped[str]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "external_user_id"),
        Index("ix_chat_identities_user_id", "user_id"),
    )


class LinkCode(Base):
    __tablename__ = "link_codes"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (Index("ix_link_codes_user_id", "user_id"),)
