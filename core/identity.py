"""Chat identities: which users row a Slack, Telegram or terminal account is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert

from core.actor import Actor, Channel
from core.audit import record
from core.db import AnyRow
from core.models import AuditAction, ChatIdentity, ChatPlatform, School, User
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ChatUser:
    """The acting user behind a chat account, and the language to answer in."""

    actor: Actor
    language: str
    display_name: str
    # False when the person never chose `language` (with `lang`): it is only what their
    # platform reports (Slack's locale, Telegram's language_code, the terminal's LANG, often
    # English on a Hebrew speaker's phone), the school's or the default, so the dialogue may
    # follow what they write.
    language_settled: bool = True


_USERS, _SCHOOLS, _ACCOUNTS = User.__table__, School.__table__, ChatIdentity.__table__
# What a ChatUser is built from, labelled so the dialogue can read it in its own first query.
CHAT_USER_COLUMNS = (
    _USERS.c.id.label("user_id"),
    _USERS.c.email.label("user_email"),
    _USERS.c.role.label("user_role"),
    _USERS.c.school_id.label("user_school_id"),
    _USERS.c.first_name.label("user_first_name"),
    _USERS.c.last_name.label("user_last_name"),
    _USERS.c.settings.label("user_settings"),
    _USERS.c.is_active.label("user_is_active"),
    _USERS.c.deleted_at.label("user_deleted_at"),
    _SCHOOLS.c.district_id.label("school_district_id"),
    _SCHOOLS.c.settings.label("school_settings"),
    _SCHOOLS.c.deleted_at.label("school_deleted_at"),
)
# The account's user and school, for the chat account given as bind parameters.
LINKED_USER = _ACCOUNTS.join(_USERS, _USERS.c.id == _ACCOUNTS.c.user_id).join(
    _SCHOOLS, _SCHOOLS.c.id == _USERS.c.school_id
)
THIS_ACCOUNT = (
    (_ACCOUNTS.c.platform == bindparam("platform"))
    & (_ACCOUNTS.c.workspace_id == bindparam("workspace_id"))
    & (_ACCOUNTS.c.external_user_id == bindparam("external_user_id"))
)
_RESOLVE = select(*CHAT_USER_COLUMNS).select_from(LINKED_USER).where(THIS_ACCOUNT)


def _language(row: AnyRow, default: str, hint: str | None) -> tuple[str, bool]:
    """The person's own choice (settled, True), else their platform's language, else the
    school's, else default (not settled, False)."""
    for settled, settings in (
        (True, row.user_settings), (False, {"language": hint}), (False, row.school_settings)
    ):  # fmt: skip
        if isinstance(settings, dict) and settings.get("language") in ("he", "en"):
            return str(settings["language"]), settled
    return default, False


def chat_user(
    row: AnyRow, channel: Channel, default_language: str, hint: str | None = None
) -> ChatUser | None:
    """The ChatUser from a row holding CHAT_USER_COLUMNS, or None when no account matched.

    `hint` is the language the chat platform reports for the person, if any.
    """
    if row.user_id is None:
        return None
    live = row.user_is_active and row.user_deleted_at is None and row.school_deleted_at is None
    actor = Actor(
        row.user_id,
        row.user_email,
        row.user_role,
        row.user_school_id,
        row.school_district_id,
        channel,
        verified=live,
    )
    language, settled = _language(row, default_language, hint)
    return ChatUser(actor, language, f"{row.user_first_name} {row.user_last_name}", settled)


async def resolve(
    uow: UnitOfWork,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
    channel: Channel,
    default_language: str,
    hint: str | None = None,
) -> ChatUser | None:
    """The linked user of this chat account, or None when unknown (liveness: see UnitOfWork)."""
    params = {
        "platform": platform,
        "workspace_id": workspace_id,
        "external_user_id": external_user_id,
    }
    row = (await uow.session.execute(_RESOLVE, params)).one_or_none()
    return None if row is None else chat_user(row, channel, default_language, hint)


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
