"""Running a turn after the ack: link the account, ask the engine, deliver the replies."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.http_app import TaskTracker
from adapters.metrics import Metrics
from adapters.slack.client import SlackOut
from adapters.slack.deliver import Target, deliver
from adapters.slack.identity import ensure_linked
from adapters.slack.translate import Turn
from bot.engine import DialogueEngine
from bot.events import Reply
from bot.i18n import t
from core.ports.coordination import LockTimeout

PLATFORM = "slack"
log = logging.getLogger(__name__)


class TurnRunner:
    """Starts turns in the background so the HTTP ack never waits for the database or the AI."""

    def __init__(
        self,
        *,
        engine: DialogueEngine,
        out: SlackOut,
        tasks: TaskTracker,
        metrics: Metrics,
        default_language: str,
    ) -> None:
        self.engine = engine
        self.out = out
        self.tasks = tasks
        self.metrics = metrics
        self.default_language = default_language
        self._order: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def start(self, turn: Turn, prelude: Turn | None = None) -> None:
        """Handle `turn` after the ack (`prelude` first, its replies unsent)."""
        self.tasks.spawn(self.run(turn, prelude))

    @asynccontextmanager
    async def _in_order(self, turn: Turn) -> AsyncIterator[None]:
        # The engine orders handling per user; this also keeps one turn's replies from
        # interleaving with the next turn's in the DM.
        key = f"{turn.team_id}:{turn.user_id}"
        lock = self._order.get(key)
        if lock is None:
            lock = self._order[key] = asyncio.Lock()
        async with lock:
            yield

    async def run(self, turn: Turn, prelude: Turn | None = None) -> None:
        """Handle one turn; failures are logged and counted, never raised into the event loop."""
        target: Target | None = None
        try:
            async with self._in_order(turn):
                dm = await self.out.dm_channel(
                    turn.team_id, turn.user_id, known=turn.channel_id if turn.im else None
                )
                target = Target(dm, turn.channel_id, turn.response_url)
                await self._handle(turn, prelude, target)
        except LockTimeout:
            self.metrics.errors.labels(PLATFORM).inc()
            if target is not None:
                await self._try_deliver([Reply(t(self.default_language, "busy"))], target)
        except Exception:
            self.metrics.errors.labels(PLATFORM).inc()
            log.exception("Slack turn %s failed", turn.event_id)

    async def _handle(self, turn: Turn, prelude: Turn | None, target: Target) -> None:
        refusal = await ensure_linked(self.engine, self.out, turn, self.default_language)
        if refusal is not None:
            key = turn.incoming(is_direct=target.in_dm).event_key
            # The engine never sees this turn, so deduplicate here: a retry explains once.
            if key is None or await self.engine.seen.first_time(key):
                await deliver(self.out, [refusal], target)
            return
        if prelude is not None:
            await self.engine.handle(prelude.incoming(is_direct=target.in_dm))
        replies = await self.engine.handle(turn.incoming(is_direct=target.in_dm))
        if replies:
            self.metrics.turns.labels(PLATFORM).inc()
        await deliver(self.out, replies, target)

    async def _try_deliver(self, replies: list[Reply], target: Target) -> None:
        try:
            await deliver(self.out, replies, target)
        except Exception:
            log.exception("Slack delivery failed")
