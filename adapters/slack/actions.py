"""Button clicks, and the modal that edits one section of an analysis under review."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.translate import ACTION_PREFIX, EDIT_PREFIX, from_action, from_edit_submission
from adapters.slack.turns import PLATFORM, TurnRunner
from bot.i18n import t
from bot.render import LIST_SECTIONS

EDIT_VIEW = "ge_edit"
EDITABLE = (*LIST_SECTIONS, "learningStyle")
TEXT_BLOCK, TEXT_INPUT = "section_text", "text"
TITLE_LIMIT = 24  # characters in a modal title
log = logging.getLogger(__name__)


def edit_view(language: str, section: str, channel_id: str) -> dict[str, Any]:
    """The modal asking for a section's new text (one item per line)."""
    name = t(language, section)
    title = t(language, "edit", section=name)
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "title": {"type": "plain_text", "text": title[:TITLE_LIMIT]},
        "submit": {"type": "plain_text", "text": t(language, "slack_update")},
        "close": {"type": "plain_text", "text": t(language, "slack_close")},
        # The submission carries no channel; the review's DM comes back through here.
        "private_metadata": json.dumps({"section": section, "channel": channel_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": {"type": "plain_text", "text": t(language, "edit_prompt", section=name)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT_INPUT,
                    "multiline": True,
                    "min_length": 1,
                    "max_length": 3000,
                },
            }
        ],
    }


def clicked_language(body: dict[str, Any], section: str, default: str) -> str:
    """The language of the clicked edit button's label: the conversation's language."""
    label = str(((body.get("actions") or [{}])[0].get("text") or {}).get("text") or "")
    return next(
        (lang for lang in ("he", "en") if label == t(lang, "edit", section=t(lang, section))),
        default,
    )


async def open_edit(runner: TurnRunner, body: dict[str, Any]) -> None:
    """Open the edit modal at once: Slack's trigger_id is only valid for 3 seconds."""
    turn = from_action(body)
    if turn is None or turn.action is None:
        return
    section = turn.action.split(":", 1)[1]
    try:
        language = clicked_language(body, section, runner.default_language)
        view = edit_view(language, section, turn.channel_id)
        await runner.out.open_view(turn.user_id, str(body["trigger_id"]), view)
    except Exception:
        runner.metrics.errors.labels(PLATFORM).inc()
        log.exception("Could not open the Slack edit modal")


def register(bolt_app: AsyncApp, runner: TurnRunner) -> None:
    """Add the button listeners (edit buttons open the modal) and the modal's submit."""
    editable = "|".join(re.escape(section) for section in EDITABLE)

    @bolt_app.action(re.compile(rf"^{re.escape(EDIT_PREFIX)}({editable})$"))
    async def on_edit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        runner.tasks.spawn(open_edit(runner, body))

    @bolt_app.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))
    async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        turn = from_action(body)
        if turn is not None:
            await runner.accept(turn)
        await ack()

    @bolt_app.view(EDIT_VIEW)
    async def on_edit_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        text = str(view["state"]["values"][TEXT_BLOCK][TEXT_INPUT].get("value") or "")
        if meta.get("section") in EDITABLE and meta.get("channel") and text.strip():
            prelude, turn = from_edit_submission(body, meta["channel"], meta["section"], text)
            await runner.accept(turn, prelude)
        await ack()  # closes the modal; the updated analysis arrives in the DM
