"""Who is acting and through which channel; the database is the truth about their role.

An Actor is only a claim: every transaction of a unit of work that acts as it re-checks it
against the database (live user, live school, same role and school) before anything else runs,
in the statement that also sets row-level security's acting user (`core/session_guards.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
    # True when the account was found live when this request resolved it (core.identity); the
    # dialogue then knows a later AccessDenied means the account changed mid-conversation.
    # Liveness itself is enforced in every transaction by UnitOfWork.act_as, not by this flag.
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
