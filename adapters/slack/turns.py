"""Slack turns: stored before the ack, run in order from the inbox, replies recorded then sent."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.http_app import TaskTracker
from adapters.metrics import Metrics
from adapters.pacing import QuietWindow
from adapters.pipeline import Pipeline, Undeliverable
from adapters.slack.client import SlackOut
from adapters.slack.deliver import Target, to_messages
from adapters.slack.identity import (
    LINK_COMMAND,
    ensure_linked,
    language_hint,
    linked_user,
    welcome,
)
from adapters.slack.translate import Turn
from bot.engine import DialogueEngine, Router
from bot.events import Reply
from bot.i18n import t
from bot.slots import still_working
from core.inbox import StoredEvent
from core.models import ChatPlatform

PLATFORM = "slack"
log = logging.getLogger(__name__)


class TurnRunner:
    """Stores turns so the HTTP ack means "kept"; runs them later, in order, per user."""

    def __init__(
        self,
        *,
        engine: DialogueEngine,
        out: SlackOut,
        tasks: TaskTracker,
        metrics: Metrics,
        default_language: str,
        pipeline: Pipeline,
    ) -> None:
        self.engine = engine
        self.out = out
        self.tasks = tasks
        self.metrics = metrics
        self.default_language = default_language
        self.pipeline = pipeline
        self.quiet = QuietWindow()
        pipeline.register(str(ChatPlatform.SLACK), self.run, self.deliver, self.give_up)

    async def accept(self, turn: Turn, prelude: Turn | None = None) -> None:
        """Store `turn` (`prelude` first when it runs, its replies unsent); raises if it cannot."""
        event = turn.incoming(is_direct=turn.im)
        assert event.event_key is not None
        await self.pipeline.accept(
            event_key=event.event_key,
            conversation_key=event.conversation_key,
            payload={
                "turn": dataclasses.asdict(turn),
                "prelude": dataclasses.asdict(prelude) if prelude else None,
            },
        )

    async def _target(self, turn: Turn) -> Target:
        dm = await self.out.dm_channel(
            turn.team_id, turn.user_id, known=turn.channel_id if turn.im else None
        )
        return Target(dm, turn.channel_id, turn.response_url)

    async def run(self, stored: StoredEvent) -> set[str]:
        """Run one stored turn; the chats its replies were recorded for."""
        payload = stored.payload or {}
        turn = Turn(**payload["turn"])
        prelude = Turn(**payload["prelude"]) if payload.get("prelude") else None
        target = await self._target(turn)
        dm = target.dm
        event = turn.incoming(is_direct=target.in_dm)
        route = self._router(turn, target)
        user = await linked_user(self.engine, turn, self.default_language)
        refusal, greeting = None, ()
        if user is None:
            refusal = await ensure_linked(self.engine, self.out, turn, self.default_language)
        # The person's Slack locale, for whoever has not chosen a language (users.info is
        # asked once per process; ensure_linked has just asked it for a newcomer).
        hint = await language_hint(self.out, turn.user_id)
        event = dataclasses.replace(event, language=hint)
        if user is None and refusal is None:  # linked just now by their confirmed email
            user = await linked_user(self.engine, turn, self.default_language, hint)
            greeting = (welcome(user),) if user is not None else ()
        language = user.language if user is not None else hint or self.default_language
        if refusal is not None:
            # People we cannot link hear why at most once per window; an invite code typed is
            # always answered (guesses are throttled by the link-code service itself).
            typed_code = LINK_COMMAND.fullmatch(turn.text.strip()) is not None
            quiet = typed_code or self.quiet.may_speak(event.conversation_key)
            replies = [refusal] if quiet else []
            await self.engine.answer(event, replies, route)
            return {route(reply)[0] for reply in replies}
        if prelude is not None:
            await self.engine.handle(prelude.incoming(is_direct=target.in_dm), locked=True)

        async def working(count: int) -> None:
            if count == 0:  # one short note; Slack has no typing action for bots
                await self.out.post(dm, to_messages(Reply(t(language, "still_working")))[0],
                                    group=False)  # fmt: skip

        with still_working(working):
            replies = await self.engine.handle(event, route=route, locked=True, before=greeting)
        if replies:
            self.metrics.turns.labels(PLATFORM).inc()
        return {route(reply)[0] for reply in replies}

    async def give_up(self, stored: StoredEvent) -> set[str]:
        """Answer a turn that failed every run with one message saying so, in the sender's DM."""
        turn = Turn(**(stored.payload or {})["turn"])
        target = await self._target(turn)
        user = await linked_user(self.engine, turn, self.default_language)
        language = user.language if user is not None else self.default_language
        route = self._router(turn, target)
        reply = Reply(t(language, "turn_given_up"))  # private: the DM, not the channel
        await self.engine.answer(turn.incoming(is_direct=target.in_dm), [reply], route)
        return {route(reply)[0]}

    def _router(self, turn: Turn, target: Target) -> Router:
        def route(reply: Reply) -> tuple[str, dict[str, Any]]:
            public = reply.public and not target.in_dm
            channel = target.channel if public else target.dm
            url = target.response_url if public else None
            chat = f"{ChatPlatform.SLACK}:{turn.team_id}:{channel}"
            return chat, {"channel": channel, "group": public, "response_url": url}

        return route

    async def deliver(self, route: dict[str, Any], reply: Reply) -> None:
        """Send one recorded reply; Undeliverable when Slack refuses it for good."""
        channel, group, url = route["channel"], bool(route.get("group")), route.get("response_url")
        try:
            for message in to_messages(reply):
                if url:
                    await self.out.respond(url, channel, message)
                else:
                    await self.out.post(channel, message, group=group)
            for attachment in reply.attachments:
                await self.out.upload(channel, attachment, group=group)
        except SlackApiError as error:
            self.metrics.errors.labels(PLATFORM).inc()
            status = error.response.status_code if error.response is not None else 0
            if 400 <= status < 500 or (error.response is not None and status == 200):
                # An API error in a 200 (channel_not_found, not_in_channel…): it stays refused.
                raise Undeliverable from error
            raise
