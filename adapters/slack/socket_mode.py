"""Socket Mode with the HTTP route's limits: each envelope's payload checked and cleaned first.

The websocket is authenticated by the app token, so there is no signature to check, but a
payload gets the size, depth and shape checks and the cleaning of a webhook body
(adapters/http_guard.py) before slack_sdk or Bolt read it. A payload refused is acknowledged
(Slack would only send it again) and logged as a warning, never run.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.http_guard import BadBody, slack_socket_payload

log = logging.getLogger(__name__)
# Connection control messages, not requests: nothing to check.
_CONTROL = frozenset({"hello", "disconnect"})


class GuardedSocketModeClient(SocketModeClient):
    """slack_sdk's aiohttp client, refusing a malformed envelope before its listeners run."""

    async def run_message_listeners(self, message: dict[str, Any], raw_message: str) -> None:
        """Check and clean the envelope's payload, then hand it on (or acknowledge and drop)."""
        kind = message.get("type")
        envelope_id = message.get("envelope_id")
        if kind not in _CONTROL and envelope_id is not None:
            try:
                message = {
                    **message,
                    "payload": slack_socket_payload(str(kind), message.get("payload")),
                }
            except BadBody as error:
                log.warning("refused a Socket Mode %s envelope: %s", kind, error)
                await self.send_socket_mode_response(
                    SocketModeResponse(envelope_id=str(envelope_id))
                )
                return
        await super().run_message_listeners(message, raw_message)


class GuardedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler on a GuardedSocketModeClient."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        # Not the parent's __init__: it would open an aiohttp session for a client never used.
        self.app = app
        self.app_token = app_token
        self.client = GuardedSocketModeClient(
            app_token=app_token, logger=app.logger, web_client=app.client, ping_interval=10
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
