"""Slack payloads (events, slash commands, button clicks, modal submissions) as dialogue turns."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands import parse
from bot.events import Incoming
from core.cleaning import clean_id, clean_text
from core.models import ChatPlatform

ACTION_PREFIX = "ge:"
EDIT_PREFIX = f"{ACTION_PREFIX}edit:"
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Message subtypes that are a person typing; edits, joins and bot posts are not turns.
TYPED_SUBTYPES = {None, "file_share", "thread_broadcast"}


@dataclass(frozen=True)
class Turn:
    """One thing a Slack user did, before we know whether the chat is their DM with the bot."""

    team_id: str
    user_id: str
    channel_id: str
    event_id: str
    text: str = ""
    action: str | None = None
    im: bool = False  # the payload itself says this is the bot's DM with the user
    response_url: str | None = None
    literal: bool = False  # text typed into a form field: data, never a command

    def __post_init__(self) -> None:
        # Cleaned where it enters: NUL or a lone surrogate crashed a turn on its way to the
        # database or Redis, after Slack had its 200 (see core.cleaning).
        for name in ("team_id", "user_id", "channel_id", "event_id"):
            object.__setattr__(self, name, clean_id(getattr(self, name)))
        object.__setattr__(self, "text", clean_text(self.text))
        if self.action is not None:
            object.__setattr__(self, "action", clean_id(self.action))

    def incoming(self, *, is_direct: bool) -> Incoming:
        """The platform-neutral event for the dialogue engine."""
        return Incoming(
            ChatPlatform.SLACK,
            self.team_id,
            self.user_id,
            self.channel_id,
            text=self.text,
            action=self.action,
            event_id=self.event_id,
            is_direct=is_direct,
            literal=self.literal,
        )


def _team(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("team_id") or "")


def _event_id(body: dict[str, Any], local_id: str) -> str:
    """A stable id; the app id keeps two apps in one workspace from sharing dedup keys."""
    return f"{body.get('api_app_id') or '-'}:{local_id}"


def _from_event(body: dict[str, Any], clean: Callable[[str], str]) -> Turn | None:
    """The turn of an Events API event a person (not a bot) caused, its text `clean`ed."""
    event = body.get("event") or {}
    if event.get("bot_id") or not event.get("user") or not body.get("event_id"):
        return None
    return Turn(
        team_id=_team(body),
        user_id=str(event["user"]),
        channel_id=str(event["channel"]),
        event_id=_event_id(body, str(body["event_id"])),
        text=clean(str(event.get("text") or "")),
        im=event.get("channel_type") == "im",
    )


def from_message(body: dict[str, Any]) -> Turn | None:
    """A `message` event typed by a person in their DM with the bot, else None."""
    event = body.get("event") or {}
    if event.get("channel_type") != "im" or event.get("subtype") not in TYPED_SUBTYPES:
        return None
    return _from_event(body, str)


def from_mention(body: dict[str, Any]) -> Turn | None:
    """An `app_mention` event, with the mention itself removed from the text."""
    return _from_event(body, lambda text: MENTION.sub("", text).strip())


def from_command(command: dict[str, Any]) -> Turn:
    """`/ge VERB ARGS` (an empty `/ge` asks for help); Slack never redelivers commands."""
    text = str(command.get("text") or "").strip() or "help"
    if parse(text).verb is not None:
        # With its slash the engine reads a verb as a command even mid-interview.
        text = f"/{text}"
    return Turn(
        team_id=_team(command),
        user_id=str(command["user_id"]),
        channel_id=str(command["channel_id"]),
        text=text,
        event_id=_event_id(command, f"cmd:{command['trigger_id']}"),
        response_url=command.get("response_url"),
    )


def from_action(body: dict[str, Any]) -> Turn | None:
    """A click on one of our buttons (`action_id` = `ge:` + the dialogue's action id)."""
    actions = body.get("actions") or []
    action_id = str(actions[0].get("action_id") or "") if actions else ""
    if not action_id.startswith(ACTION_PREFIX):
        return None
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    if not channel:
        return None
    return Turn(
        team_id=_team(body),
        user_id=str(body["user"]["id"]),
        channel_id=str(channel),
        action=action_id.removeprefix(ACTION_PREFIX),
        event_id=_event_id(body, f"act:{body['trigger_id']}"),
    )


def from_edit_submission(
    body: dict[str, Any], channel_id: str, section: str, text: str
) -> tuple[Turn, Turn]:
    """The edit modal's submit: the `edit:SECTION` action, then the new text as the answer."""
    view_id = str(body["view"]["id"])
    common = {"team_id": _team(body), "user_id": str(body["user"]["id"]), "channel_id": channel_id}
    return (
        Turn(**common, action=f"edit:{section}", event_id=_event_id(body, f"view:{view_id}:edit")),
        Turn(**common, text=text, event_id=_event_id(body, f"view:{view_id}:text"), literal=True),
    )
