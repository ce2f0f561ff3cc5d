"""Outgoing Slack calls, each through the shared Pacer, with Slack's 429 turned into RateLimited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cachetools import LRUCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.pacing import Pacer, RateLimited
from bot.events import Attachment

DEFAULT_RETRY_AFTER = 1.0
DM_CACHE_SIZE = 10_000  # users whose DM channel id is remembered


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    """Seconds from a Retry-After header (any case); Slack always sends it, but be lenient."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
            except (TypeError, ValueError, IndexError):
                break
    return DEFAULT_RETRY_AFTER


class SlackWebhookError(Exception):
    """A response_url post failed with a status other than 429."""


class SlackOut:
    """The Web API calls the adapter makes; nothing reaches Slack except through here."""

    def __init__(
        self, client: AsyncWebClient, pacer: Pacer, *, dm_cache_size: int = DM_CACHE_SIZE
    ) -> None:
        self.client = client
        self.pacer = pacer
        # A user's DM channel with the bot never changes, so one conversations.open is enough;
        # least recently used users are forgotten past the bound (they cost one call again).
        self._dms: LRUCache[tuple[str, str], str] = LRUCache(maxsize=dm_cache_size)
        # Each user's Slack locale ("he-IL"), seen in any users.info; it changes rarely, and a
        # stale one only matters to someone who never chose a language with `lang`.
        self._locales: LRUCache[str, str] = LRUCache(maxsize=dm_cache_size)

    async def _call(
        self, key: str, call: Callable[[], Awaitable[AsyncSlackResponse]], *, group: bool = False
    ) -> AsyncSlackResponse:
        async def send() -> AsyncSlackResponse:
            try:
                return await call()
            except SlackApiError as error:
                if error.response is not None and error.response.status_code == 429:
                    raise RateLimited(_retry_after(error.response.headers)) from error
                raise

        return await self.pacer.send(key, send, group=group)

    async def user_info(self, user_id: str) -> dict[str, Any]:
        """The user object of `users.info` (with `profile.email` and `locale`)."""
        response = await self._call(
            f"user:{user_id}", lambda: self.client.users_info(user=user_id, include_locale=True)
        )
        user = dict(response.get("user") or {})
        self._locales[user_id] = str(user.get("locale") or "")
        return user

    async def locale(self, user_id: str) -> str:
        """The user's Slack locale (`he-IL`, `en-US`; "" when Slack gives none), asked once."""
        if user_id not in self._locales:
            await self.user_info(user_id)
        return self._locales.get(user_id, "")

    async def dm_channel(self, team_id: str, user_id: str, known: str | None = None) -> str:
        """The bot's DM channel with the user (`known` when the payload already says it)."""
        key = (team_id, user_id)
        if known:
            self._dms[key] = known
            return known
        channel = self._dms.get(key)
        if channel is None:
            response = await self._call(
                f"user:{user_id}", lambda: self.client.conversations_open(users=user_id)
            )
            channel = self._dms[key] = str(response["channel"]["id"])
        return channel

    async def post(self, channel: str, message: dict[str, Any], *, group: bool) -> None:
        """chat.postMessage `message` (text + blocks) to `channel`."""
        await self._call(
            channel, lambda: self.client.chat_postMessage(channel=channel, **message), group=group
        )

    async def respond(self, response_url: str, channel: str, message: dict[str, Any]) -> None:
        """Post `message` visibly in the channel a slash command came from, via its response_url."""
        webhook = AsyncWebhookClient(
            response_url, timeout=self.client.timeout, session=self.client.session
        )

        async def send() -> None:
            response = await webhook.send_dict({**message, "response_type": "in_channel"})
            if response.status_code == 429:
                raise RateLimited(_retry_after(response.headers))
            if response.status_code != 200:
                raise SlackWebhookError(f"response_url answered {response.status_code}")

        await self.pacer.send(channel, send, group=True)

    async def open_view(self, user_id: str, trigger_id: str, view: dict[str, Any]) -> None:
        """views.open: show a modal (the trigger is valid for 3 s after the click)."""
        await self._call(
            f"user:{user_id}", lambda: self.client.views_open(trigger_id=trigger_id, view=view)
        )

    async def upload(self, channel: str, attachment: Attachment, *, group: bool) -> None:
        """files_upload_v2 (getUploadURLExternal, the upload, completeUploadExternal)."""
        await self._call(
            channel,
            lambda: self.client.files_upload_v2(
                channel=channel,
                filename=attachment.filename,
                content=attachment.content,
                title=attachment.filename,
            ),
            group=group,
        )
