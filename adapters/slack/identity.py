"""First contact: link a Slack account to the `users` row with its Slack profile email."""

from __future__ import annotations

from typing import Any

from adapters.slack.client import SlackOut
from adapters.slack.translate import Turn
from bot.engine import DialogueEngine
from bot.events import Reply
from bot.i18n import isolate, t
from core.actor import Channel
from core.identity import ChatUser, link_by_email, resolve
from core.models import ChatPlatform
from core.uow import UnitOfWork


def _channel(turn: Turn) -> Channel:
    return Channel(str(ChatPlatform.SLACK), turn.channel_id, turn.team_id)


def language_of(user: dict[str, Any], default: str) -> str:
    """The Slack user's locale as one of our languages (`he-IL` → `he`), else `default`."""
    locale = str(user.get("locale") or "").lower()
    return next((code for code in ("he", "en") if locale.startswith(code)), default)


async def linked_user(engine: DialogueEngine, turn: Turn, default_language: str) -> ChatUser | None:
    """The user this Slack account is linked to, if it is."""
    async with UnitOfWork(engine.session_factory) as uow:
        return await resolve(
            uow, ChatPlatform.SLACK, turn.team_id, turn.user_id, _channel(turn), default_language
        )


async def ensure_linked(
    engine: DialogueEngine, out: SlackOut, turn: Turn, default_language: str
) -> Reply | None:
    """None when the account is linked (before or now); else a reply explaining access."""
    if await linked_user(engine, turn, default_language) is not None:
        return None
    info = await out.user_info(turn.user_id)
    language = language_of(info, default_language)
    email = str((info.get("profile") or {}).get("email") or "").strip()
    if info.get("is_bot") or not email:
        return Reply(t(language, "slack_no_email"))
    async with UnitOfWork(engine.session_factory) as uow:
        if await link_by_email(
            uow, ChatPlatform.SLACK, turn.team_id, turn.user_id, email, _channel(turn)
        ):
            return None
    return Reply(t(language, "slack_no_account", email=isolate(email)))
