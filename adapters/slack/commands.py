"""The `/ge` slash command: `/ge analyze NAME`, `/ge students`, `/ge help`…"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from adapters.slack.translate import from_command
from adapters.slack.turns import TurnRunner

COMMAND = "/ge"


def register(bolt_app: AsyncApp, runner: TurnRunner) -> None:
    """Add the `/ge` listener: an empty ack once the command is stored, the answer later."""

    @bolt_app.command(COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await runner.accept(from_command(command))
        await ack()
