"""One-time link codes: an admin issues one for a user; the user redeems it from a chat app."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from core.actor import Actor
from core.audit import record, service
from core.errors import AccessDenied, DomainError, InvalidInput, NotFound
from core.identity import link_account
from core.models import AuditAction, ChatPlatform, LinkCode, User
from core.policy import require_admin, visible_users
from core.services.people import normalize_email
from core.uow import UnitOfWork
from core.views import UserView

CODE_BYTES = 16  # 22 url-safe characters: fits Telegram's 64-character deep-link parameter
DEFAULT_TTL = timedelta(hours=72)
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class LinkCodeExpired(DomainError):
    """The code exists but its time ran out; the admin must issue a new one."""

    code = "link_code_expired"

    def __init__(self, link_id: object) -> None:
        super().__init__("link code expired")
        self.resource = "LinkCode"
        self.key = str(link_id)


class LinkCodeUsed(DomainError):
    """The code was redeemed already; codes work once."""

    code = "link_code_used"

    def __init__(self, link_id: object) -> None:
        super().__init__("link code already used")
        self.resource = "LinkCode"
        self.key = str(link_id)


@service
async def create_link_code(
    *, uow: UnitOfWork, actor: Actor, email: str, ttl: timedelta = DEFAULT_TTL
) -> str:
    """Issue a one-time code linking a chat account to the user with `email` (admin only)."""
    require_admin(actor, resource="LinkCode")
    if ttl <= timedelta(0):
        raise InvalidInput("ttl", "must be positive")
    address = normalize_email(email)
    user = await uow.session.scalar(
        select(User).where(
            func.lower(User.email) == address,
            visible_users(actor),
            User.is_active.is_(True),
        )
    )
    if user is None:
        raise NotFound("User", address)
    code = secrets.token_urlsafe(CODE_BYTES)
    # The database clock sets and checks expiry, so app servers' clocks never matter.
    link = LinkCode(code=code, user_id=user.id, expires_at=func.now() + ttl)
    uow.session.add(link)
    await uow.session.flush()
    record(
        uow,
        actor,
        AuditAction.CREATE,
        "LinkCode",
        link.id,
        userId=str(user.id),
        ttlSeconds=int(ttl.total_seconds()),
    )
    await uow.commit()
    return code


@service
async def redeem_link_code(
    *,
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
) -> UserView:
    """Link this chat account to the code's user (audited as that user's LOGIN); once only.

    `actor` is the system actor on the chat's channel: the person redeeming is not known yet.
    Unknown codes raise NotFound, spent ones LinkCodeUsed, stale ones LinkCodeExpired.
    """
    code = code.strip()
    if not CODE_SHAPE.fullmatch(code):
        raise NotFound("LinkCode", "malformed")
    # Row lock: two simultaneous redemptions of one code queue here, and the second sees it used.
    link = await uow.session.scalar(select(LinkCode).where(LinkCode.code == code).with_for_update())
    if link is None:
        raise NotFound("LinkCode", "unknown")  # the guessed code itself stays out of the log
    if link.used_at is not None:
        raise LinkCodeUsed(link.id)
    now = await uow.session.scalar(select(func.now()))
    if link.expires_at <= now:
        raise LinkCodeExpired(link.id)
    user = await uow.session.get(User, link.user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise AccessDenied("user_inactive", resource="LinkCode", resource_id=str(link.id))
    link.used_at = now
    await link_account(
        uow,
        user,
        platform,
        workspace_id,
        external_user_id,
        actor.channel,
        method="link_code",
        linkCodeId=str(link.id),
    )
    view = UserView.of(user)
    await uow.commit()
    return view
