"""First contact: link a Slack account to the `users` row with its Slack profile email.

Only an email the workspace itself has confirmed (`is_email_confirmed`) of a member of this
very workspace links by email; anyone else links with an invite code, as on Telegram. Which
workspaces are served at all is checked before any of this (`workspace_guard`).
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.pacing import RateLimited
from adapters.slack.client import SlackOut
from adapters.slack.translate import Turn
from bot.engine import DialogueEngine
from bot.events import Reply
from bot.i18n import LANGUAGES, isolate, t
from core.actor import Channel, system_actor
from core.errors import AccessDenied, NotFound
from core.identity import ChatUser, link_by_email, resolve
from core.models import ChatPlatform
from core.services import linking
from core.uow import UnitOfWork

# An invite code typed in the DM: `link CODE` (or Telegram's `/start CODE`, or Hebrew `קישור`).
LINK_COMMAND = re.compile(r"(?i)(?:link|/start|קישור)\s+([A-Za-z0-9_-]{8,64})")
LINK_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (linking.LinkCodeUsed, "link_used"),
    (linking.LinkCodeExpired, "link_expired"),
    (NotFound, "link_unknown"),
    (AccessDenied, "denied"),
)


def _channel(turn: Turn) -> Channel:
    return Channel(str(ChatPlatform.SLACK), turn.channel_id, turn.team_id)


def language_of(user: dict[str, Any], default: str | None) -> str | None:
    """The Slack user's locale as one of our languages (`he-IL` → `he`), else `default`."""
    locale = str(user.get("locale") or "").lower()
    return next((code for code in LANGUAGES if locale.startswith(code)), default)


async def language_hint(out: SlackOut, user_id: str) -> str | None:
    """The person's Slack locale as one of our languages, for someone who has not chosen one.

    Asked once per process and user; a Slack that cannot answer now only costs the hint.
    """
    try:
        return language_of({"locale": await out.locale(user_id)}, None)
    except (SlackApiError, RateLimited, aiohttp.ClientError, TimeoutError):
        return None


async def linked_user(
    engine: DialogueEngine, turn: Turn, default_language: str, hint: str | None = None
) -> ChatUser | None:
    """The user this Slack account is linked to, if it is (`hint`: their Slack language)."""
    async with UnitOfWork(engine.session_factory) as uow:
        await uow.single_statement()  # one read: no BEGIN and ROLLBACK round trips
        return await resolve(
            uow,
            ChatPlatform.SLACK,
            turn.team_id,
            turn.user_id,
            _channel(turn),
            default_language,
            hint,
        )


def welcome(user: ChatUser) -> Reply:
    """The first thing a newly linked person reads: who they are here, how to switch language."""
    greeting = t(user.language, "link_done", name=isolate(user.display_name))
    return Reply(f"{greeting}\n{t(user.language, 'first_contact')}")


async def ensure_linked(
    engine: DialogueEngine, out: SlackOut, turn: Turn, default_language: str
) -> Reply | None:
    """None when the account is linked (before or now); else a reply explaining access."""
    if await linked_user(engine, turn, default_language) is not None:
        return None
    info = await out.user_info(turn.user_id)
    hint = language_of(info, None)
    language = hint or default_language
    typed = LINK_COMMAND.fullmatch(turn.text.strip())
    if typed:
        return await _redeem(engine, turn, typed.group(1), default_language, hint)
    email = str((info.get("profile") or {}).get("email") or "").strip()
    if info.get("is_bot") or not email:
        return Reply(t(language, "slack_no_email"))
    if info.get("is_email_confirmed") is not True or info.get("team_id") != turn.team_id:
        # An unconfirmed address is whatever the member typed: not proof of who they are.
        return Reply(t(language, "slack_no_account", email=isolate(email)))
    async with UnitOfWork(engine.session_factory) as uow:
        if await link_by_email(
            uow, ChatPlatform.SLACK, turn.team_id, turn.user_id, email, _channel(turn)
        ):
            return None
    return Reply(t(language, "slack_no_account", email=isolate(email)))


async def _redeem(
    engine: DialogueEngine, turn: Turn, code: str, default_language: str, hint: str | None
) -> Reply:
    """Link this Slack account with an invite code, as on Telegram; a reply either way."""
    try:
        async with UnitOfWork(engine.session_factory) as uow:
            await linking.redeem_link_code(
                uow=uow,
                actor=system_actor(_channel(turn)),
                code=code,
                platform=ChatPlatform.SLACK,
                workspace_id=turn.team_id,
                external_user_id=turn.user_id,
            )
    except (NotFound, AccessDenied, linking.LinkCodeUsed, linking.LinkCodeExpired) as error:
        key = next(key for kind, key in LINK_ERRORS if isinstance(error, kind))
        return Reply(t(hint or default_language, key))
    user = await linked_user(engine, turn, default_language, hint)
    assert user is not None, "a linked account resolves"
    return welcome(user)


async def refuse_workspace(engine: DialogueEngine, team_id: str, user_id: str) -> None:
    """Audit a request from a Slack workspace that is not in SLACK_ALLOWED_TEAMS."""
    async with UnitOfWork(engine.session_factory) as uow:
        await linking.record_refused_workspace(
            uow=uow,
            actor=system_actor(Channel(str(ChatPlatform.SLACK), None, team_id or None)),
            platform=ChatPlatform.SLACK,
            workspace_id=team_id,
            external_user_id=user_id,
        )
