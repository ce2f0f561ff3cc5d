"""Who is acting and through which channel; the database is the truth about their role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AccessDenied
from core.models import School, User, UserRole


@dataclass(frozen=True)
class Channel:
    """Where a request came from: platform (SLACK, TELEGRAM, SHELL, CLI) and chat/channel."""

    platform: str
    chat_id: str | None = None
    workspace_id: str | None = None

    def as_metadata(self) -> dict[str, str]:
        """The channel as audit metadata."""
        data = {"platform": self.platform}
        if self.chat_id is not None:
            data["chatId"] = self.chat_id
        if self.workspace_id is not None:
            data["workspaceId"] = self.workspace_id
        return data


@dataclass(frozen=True)
class Actor:
    """The acting user as of this request. `user_id` is None only for the system (CLI, cron)."""

    user_id: uuid.UUID | None
    email: str
    role: UserRole
    school_id: uuid.UUID | None
    district_id: uuid.UUID | None
    channel: Channel
    # True when the caller loaded this actor within the current request and found the user,
    # account and school live (core.identity.resolve); services then need not reload it.
    verified: bool = False

    @property
    def is_system(self) -> bool:
        """True for operator tooling acting without a user account."""
        return self.user_id is None


def system_actor(channel: Channel | None = None) -> Actor:
    """The operator acting from the CLI or a scheduled job: admin rights, audited as system."""
    return Actor(None, "system", UserRole.ADMIN, None, None, channel or Channel("CLI"))


def actor_for(user: User, school: School, channel: Channel) -> Actor:
    """An Actor from loaded rows."""
    return Actor(user.id, user.email, user.role, user.school_id, school.district_id, channel)


async def refresh_actor(session: AsyncSession, actor: Actor) -> Actor:
    """Reload role and school from the database; deny inactive, deleted or orphaned users."""
    if actor.is_system or actor.verified:
        return actor
    row = (
        await session.execute(
            select(User, School)
            .join(School, School.id == User.school_id)
            .where(User.id == actor.user_id)
        )
    ).one_or_none()
    if row is None:
        raise AccessDenied("unknown_user")
    user, school = row
    if user.deleted_at is not None:
        raise AccessDenied("user_deleted")
    if not user.is_active:
        raise AccessDenied("user_inactive")
    if school.deleted_at is not None:
        raise AccessDenied("school_deleted")
    return replace(actor_for(user, school, actor.channel))
