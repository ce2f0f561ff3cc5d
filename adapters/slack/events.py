"""Events API listeners: messages in the bot's DM (the app home's Messages tab) and @mentions."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.translate import from_mention, from_message
from adapters.slack.turns import TurnRunner


def register(bolt_app: AsyncApp, runner: TurnRunner) -> None:
    """Add the `message` and `app_mention` listeners (Bolt acknowledges once they return)."""

    @bolt_app.event("message")
    async def on_message(body: dict[str, Any]) -> None:
        turn = from_message(body)
        if turn is not None:
            await runner.accept(turn)

    @bolt_app.event("app_mention")
    async def on_mention(body: dict[str, Any]) -> None:
        turn = from_mention(body)
        if turn is not None:
            await runner.accept(turn)
