"""Chat identities: which users row a Slack, Telegram or terminal account is."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from core.actor import Actor, Channel, actor_for
from core.audit import record
from core.models import AuditAction, ChatIdentity, ChatPlatform, School, User
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ChatUser:
    """The acting user behind a chat account, and the language to answer in."""

    actor: Actor
    language: str
    display_name: str


def _language(user: User, school: School, default: str) -> str:
    for settings in (user.settings, school.settings):
        if isinstance(settings, dict) and settings.get("language") in ("he", "en"):
            return str(settings["language"])
    return default


async def resolve(
    uow: UnitOfWork,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
    channel: Channel,
    default_language: str,
) -> ChatUser | None:
    """The linked, live user of this chat account, or None when unknown or inactive."""
    row = (
        await uow.session.execute(
            select(User, School)
            .join(ChatIdentity, ChatIdentity.user_id == User.id)
            .join(School, School.id == User.school_id)
            .where(
                ChatIdentity.platform == platform,
                ChatIdentity.workspace_id == workspace_id,
                ChatIdentity.external_user_id == external_user_id,
            )
        )
    ).one_or_none()
    if row is None:
        return None
    user, school = row
    live = user.is_active and user.deleted_at is None and school.deleted_at is None
    actor = replace(actor_for(user, school, channel), verified=live)
    return ChatUser(
        actor,
        _language(user, school, default_language),
        f"{user.first_name} {user.last_name}",
    )


async def link_account(
    uow: UnitOfWork,
    user: User,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
    channel: Channel,
    **details: str,
) -> None:
    """Point this chat account at `user` (new or re-linked), audited as their LOGIN; no commit."""
    await uow.session.execute(
        insert(ChatIdentity)
        .values(
            platform=platform,
            workspace_id=workspace_id,
            external_user_id=external_user_id,
            user_id=user.id,
        )
        .on_conflict_do_update(
            index_elements=["platform", "workspace_id", "external_user_id"],
            set_={"user_id": user.id, "linked_at": func.now()},
        )
    )
    who = Actor(user.id, user.email, user.role, user.school_id, None, channel)
    record(
        uow,
        who,
        AuditAction.LOGIN,
        "User",
        user.id,
        **details,
        platform=str(platform),
        workspaceId=workspace_id,
    )


async def link_by_email(
    uow: UnitOfWork,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
    email: str,
    channel: Channel,
) -> bool:
    """Link a chat account to the live user with this email (audited as LOGIN); False if none."""
    user = await uow.session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(),
            User.deleted_at.is_(None),
            User.is_active.is_(True),
        )
    )
    if user is None:
        return False
    await link_account(uow, user, platform, workspace_id, external_user_id, channel)
    await uow.commit()
    return True
