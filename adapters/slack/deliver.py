"""Replies as Block Kit messages: long text split within Slack's limits, buttons on the last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack.client import SlackOut
from adapters.slack.translate import ACTION_PREFIX
from bot.events import Button, Reply

SECTION_LIMIT = 3000  # characters in one section block's text
BUTTON_LABEL_LIMIT = 75
BUTTONS_PER_BLOCK = 25


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at paragraphs, lines, then words."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        # A break near the start would leave a sliver of a part; cut hard rather than that.
        breaks = (window.rfind(sep) for sep in ("\n\n", "\n", " "))
        cut = next((at for at in breaks if at > limit // 4), limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _escape(text: str) -> str:
    # The notification `text` is mrkdwn; escaping keeps "<!channel>" or "<@U…>" inert.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


def button_blocks(buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """Actions blocks whose button `action_id`s are `ge:` + the dialogue's stable action ids."""
    elements = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": _label(b.label), "emoji": True},
            "action_id": f"{ACTION_PREFIX}{b.action}",
            "value": b.action,
        }
        for b in buttons
    ]
    return [
        {"type": "actions", "elements": elements[i : i + BUTTONS_PER_BLOCK]}
        for i in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def to_messages(reply: Reply) -> list[dict[str, Any]]:
    """chat.postMessage arguments for one reply: one message per text part."""
    parts = split_text(reply.text)
    messages = []
    for number, part in enumerate(parts, 1):
        # plain_text: teacher and AI text is shown as written, never parsed as mentions or links.
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "plain_text", "text": part or " ", "emoji": True}}
        ]
        if number == len(parts):
            blocks += button_blocks(reply.buttons)
        messages.append({"text": _escape(part) or " ", "blocks": blocks})
    return messages


@dataclass(frozen=True)
class Target:
    """Where a turn's replies go: the user's DM, and the channel (or response_url) it came from."""

    dm: str
    channel: str
    response_url: str | None = None

    @property
    def in_dm(self) -> bool:
        """True when the turn came from the user's DM with the bot."""
        return self.channel == self.dm


async def deliver(out: SlackOut, replies: Sequence[Reply], target: Target) -> None:
    """Send replies in order: public ones where the turn came from, everything else to the DM."""
    for reply in replies:
        public = reply.public and not target.in_dm
        channel = target.channel if public else target.dm
        for message in to_messages(reply):
            if public and target.response_url:
                await out.respond(target.response_url, channel, message)
            else:
                await out.post(channel, message, group=public)
        for attachment in reply.attachments:
            await out.upload(channel, attachment, group=public)
