"""One-time link codes: an admin issues one for a user; the user redeems it from a chat app.

Only a SHA-256 of a code is stored (a code is 128 random bits, so a fast hash is enough: there
is nothing to brute-force offline), it works once and expires. Failed redemptions are audited;
from one chat, the fifth attempt within a minute of four failures is refused unseen
(LinkAttemptsExceeded), so codes cannot be guessed at the chat's speed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Text, bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from core.actor import Actor
from core.audit import record, service
from core.errors import AccessDenied, DomainError, InvalidInput, NotFound
from core.identity import link_account
from core.models import AuditAction, AuditLog, ChatPlatform, LinkCode, User
from core.policy import require_admin, visible_users
from core.services.people import normalize_email
from core.uow import UnitOfWork
from core.views import UserView

CODE_BYTES = 16  # 22 url-safe characters: fits Telegram's 64-character deep-link parameter
DEFAULT_TTL = timedelta(hours=72)
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FAILED_ATTEMPTS = 4  # failures per chat within ATTEMPT_WINDOW; the next try is refused
ATTEMPT_WINDOW = timedelta(minutes=1)


def code_hash(code: str) -> str:
    """What link_codes.code stores for `code`."""
    return hashlib.sha256(code.encode()).hexdigest()


class LinkAttemptsExceeded(AccessDenied):
    """Too many failed link codes from this chat lately; try again in a minute."""

    def __init__(self) -> None:
        super().__init__("link_attempts_exceeded", resource="LinkCode")


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
    link = LinkCode(code=code_hash(code), user_id=user.id, expires_at=func.now() + ttl)
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
    if await _recent_failures(uow, actor) >= MAX_FAILED_ATTEMPTS:
        raise LinkAttemptsExceeded()
    code = code.strip()
    if not CODE_SHAPE.fullmatch(code):
        raise NotFound("LinkCode", "malformed")
    # Row lock: two simultaneous redemptions of one code queue here, and the second sees it used.
    link = await uow.session.scalar(
        select(LinkCode).where(LinkCode.code == code_hash(code)).with_for_update()
    )
    if link is None:
        raise NotFound("LinkCode", "unknown")  # the guessed code itself stays out of the log
    if link.used_at is not None:
        raise LinkCodeUsed(link.id)
    now = cast(datetime, await uow.session.scalar(select(func.now())))
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


async def _recent_failures(uow: UnitOfWork, actor: Actor) -> int:
    """Failed or refused redemptions from this chat within ATTEMPT_WINDOW (the audit trail)."""
    channel = {"channel": actor.channel.as_metadata()}
    count = await uow.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.resource == "LinkCode",
            AuditLog.created_at > func.now() - ATTEMPT_WINDOW,
            AuditLog.metadata_.op("@>")(bindparam("channel", channel, type_=JSONB)),
            or_(*(AuditLog.metadata_.op("?")(literal(k, Text())) for k in ("failed", "denied"))),
        )
    )
    return int(count or 0)


@service
async def record_refused_workspace(
    *,
    uow: UnitOfWork,
    actor: Actor,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
) -> None:
    """Audit a request from a chat workspace this deployment does not serve."""
    record(
        uow,
        actor,
        AuditAction.LOGIN,
        "Workspace",
        workspace_id or None,
        denied=True,
        reason="workspace_not_allowed",
        platform=str(platform),
        externalUserId=external_user_id,
    )
    await uow.commit()
