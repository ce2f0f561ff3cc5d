"""The dialogue engine: one event in, replies out; state lives in Postgres, order in Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import handlers, outgoing
from bot.commands import Parsed, from_action
from bot.context import Context
from bot.deps import Deps
from bot.events import Incoming, Reply
from bot.explain import explain
from bot.i18n import LANGUAGES, t
from bot.interview import Interviewer, PriceTable
from bot.reading import read
from bot.remarks import after_a_remark
from bot.render import DISCARD_ASKED
from bot.screen import forget_offers
from bot.slots import AIOutsideSlots, Slots, turn_deadline
from bot.states import IDLE, INTERVIEWING, REVIEWING
from bot.written_in import follow
from core import dialogue_states, identity
from core.actor import Channel
from core.errors import AccessDenied, AnalysisClosed, DomainError, NotFound
from core.inbox import Answer, RecordedReply
from core.ports.ai import AIProvider
from core.ports.charts import ChartRenderer
from core.ports.coordination import ConversationLocks, SeenEvents
from core.read_uow import ReadRouting
from core.uow import UnitOfWork

# Where a reply goes: the chat it is queued for, and the adapter's own delivery details.
Router = Callable[[Reply], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class DialogueSettings:
    """Interview length, idle expiry and language defaults."""

    min_questions: int = 3
    max_questions: int = 8
    idle_timeout: timedelta = timedelta(hours=24)
    # An interview untouched this long is reminded of before a message is kept (bot/reminder.py).
    remind_after: timedelta = timedelta(hours=6)
    default_language: str = "he"
    search_limit: int = 5
    # One deadline for every model call of a turn, retries included; shorter than a lock's
    # longest hold (see adapters/redis_store.py), so no turn outlives its lease.
    turn_seconds: float = 90.0

    def expired(self, updated_at: datetime | None) -> bool:
        """True when an interview last touched at `updated_at` has waited past the timeout."""
        return updated_at is not None and datetime.now(UTC) - updated_at > self.idle_timeout


class DialogueEngine:
    """Handles events one conversation at a time, across processes."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        ai: AIProvider,
        locks: ConversationLocks,
        seen: SeenEvents,
        prices: PriceTable | None = None,
        settings: DialogueSettings | None = None,
        charts: ChartRenderer | None = None,
        slots: Slots | None = None,
        reads: ReadRouting | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.reads = reads  # None: read-only work runs on the primary like the rest
        self.charts = charts  # None: summaries come without a chart
        # Set by the Telegram adapter once it knows its bot, for invite deep links.
        self.bot_username: str | None = None
        self.locks = locks
        # Redelivered events are caught by the inbox in Postgres now; kept for its callers.
        self.seen = seen
        self.settings = settings or DialogueSettings()
        # The process's bound on turns at once (held by whoever runs the turn, see bot/slots.py);
        # the engine gives the slot back while the model answers.
        self.slots = slots
        self.interviewer = Interviewer(AIOutsideSlots(ai, slots), prices or {}, self.uow)
        # What handlers get: the parts they use, not the engine.
        self.deps = Deps(
            uow=self.uow,
            read_uow=self.read_uow,
            interviewer=self.interviewer,
            settings=self.settings,
            charts=charts,
            checkpoint=self._save,
            bot_username=lambda: self.bot_username,
        )

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return UnitOfWork(self.session_factory)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for read-only use cases: on the read replica when one is configured."""
        return self.reads.unit() if self.reads is not None else self.uow()

    async def handle(
        self,
        event: Incoming,
        *,
        route: Router | None = None,
        locked: bool = False,
        before: tuple[Reply, ...] = (),
    ) -> list[Reply]:
        """Answer one event once; with `route`, its replies are recorded to send, unsent.

        `locked`: the caller holds the conversation's lock already (serve's inbox worker).
        `before`: replies that go first, in the same exchange (a platform's welcome).
        """
        if not locked:
            async with self.locks.hold(event.conversation_key):
                return await self._handle(event, route, before)
        return await self._handle(event, route, before)

    async def _handle(
        self, event: Incoming, route: Router | None, before: tuple[Reply, ...] = ()
    ) -> list[Reply]:
        with turn_deadline(self.settings.turn_seconds):
            ctx = await self._open(event)
            if ctx is None:
                return []
            if isinstance(ctx, Reply):
                await self.answer(event, [ctx], route)
                return [ctx]
            ctx.closing = lambda replies: self._closing(ctx, replies, route)
            ctx.before = before
            if ctx.ended:
                replies = [Reply(ctx.say("conversation_ended"))]
            else:
                replies = await self._replies(ctx)
            replies = self._final(ctx, replies)
            if ctx.answered is not None and self._final(ctx, ctx.answered) != replies:
                # Recorded replies are what gets sent: they must be the exchange's replies.
                raise RuntimeError("the exchange answered with other replies than it recorded")
            await self._save(ctx, replies, route)
            return replies

    @staticmethod
    def _final(ctx: Context, replies: list[Reply]) -> list[Reply]:
        replies = [*ctx.before, *replies]  # a platform's welcome goes first, in the same record
        if ctx.event.is_direct:
            return replies
        # Student data goes only to the user's DM; the group just hears where to look.
        return [Reply(ctx.say("private_notice"), public=True), *replies]

    def _closing(self, ctx: Context, replies: list[Reply], route: Router | None) -> Answer | None:
        """The event answered with `replies` (as the exchange will end them), if it has a key."""
        key = ctx.event.event_key
        if key is None:
            return None
        return Answer(key, self._recorded(self._final(ctx, replies), route))

    async def _replies(self, ctx: Context) -> list[Reply]:
        try:
            return await self._dispatch(ctx)
        except DomainError as error:
            if ctx.state != IDLE and isinstance(error, AnalysisClosed):
                # Finished or cancelled elsewhere (another chat of the same teacher): this
                # chat's state about it is over; say so once instead of refusing every message.
                ctx.go(IDLE)
                return [Reply(ctx.say("analysis_closed"))]
            if ctx.state != IDLE and isinstance(error, AccessDenied | NotFound):
                # The account, its role or its school changed under an open state: end it
                # rather than refuse every later message (cancel and help included).
                ctx.go(IDLE)
                if ctx.user.actor.verified:
                    return [Reply(ctx.say("conversation_ended"))]
            return [Reply(self._explain(ctx, error))]

    async def answer(self, event: Incoming, replies: list[Reply], route: Router | None) -> None:
        """Mark `event` answered with `replies` recorded to send (answers made outside a turn)."""
        if event.event_key is None:
            return
        async with self.uow() as uow:
            await dialogue_states.end_exchange(
                uow.session,
                state=None,
                event_key=event.event_key,
                replies=self._recorded(replies, route),
            )
            await uow.commit()

    @staticmethod
    def _recorded(replies: list[Reply], route: Router | None) -> list[RecordedReply]:
        if route is None:
            return []
        return [RecordedReply(*route(reply), outgoing.encode(reply)) for reply in replies]

    async def _open(self, event: Incoming) -> Context | Reply | None:
        channel = Channel(str(event.platform), event.chat_id, event.workspace_id)
        async with self.uow() as uow:
            row = await dialogue_states.open_exchange(
                uow,
                platform=event.platform,
                workspace_id=event.workspace_id,
                external_user_id=event.external_user_id,
                conversation_key=event.conversation_key,
                event_key=event.event_key,
            )
        if row is None:
            return None  # answered before: a redelivery
        user = identity.chat_user(row, channel, self.settings.default_language, event.language)
        if user is None:
            hinted = event.language if event.language in LANGUAGES else None
            return Reply(t(hinted or self.settings.default_language, "not_linked"))
        ctx = Context(event, user)
        if row.state is None:
            return ctx
        if row.state_user_id != user.actor.user_id:
            # Re-linked to another user: the open state was the previous user's.
            ctx.ended = row.state != IDLE
            ctx.data = {k: v for k, v in (row.data or {}).items() if k == "language"}
            return ctx
        ctx.state, ctx.analysis_id = row.state, row.analysis_id
        ctx.data, ctx.updated_at = dict(row.data or {}), row.updated_at
        return ctx

    async def _save(
        self, ctx: Context, replies: list[Reply] | None = None, route: Router | None = None
    ) -> None:
        """Store the state record; with `replies`, the exchange ends: answered, replies kept."""
        values = ctx.planned(ctx.state, ctx.analysis_id, keep_data=True)
        state = None if values == ctx.stored else values
        answered = replies is None or ctx.answered is not None
        key = None if answered else ctx.event.event_key
        if state is None and key is None:
            return  # the exchange's last unit of work already stored exactly this
        async with self.uow() as uow:
            await dialogue_states.end_exchange(
                uow.session,
                state=state,
                event_key=key,
                replies=self._recorded(replies or [], route),
            )
            await uow.commit()
        ctx.stored = values

    def _explain(self, ctx: Context, error: DomainError) -> str:
        return explain(ctx.language, error, role=ctx.user.actor.role)

    def _read(self, ctx: Context) -> Parsed:
        event = ctx.event
        if event.action:
            return from_action(event.action)
        if event.literal:
            return Parsed(None, event.text.strip(), False)
        waits = ctx.data.get("awaiting")
        awaiting = ctx.state == REVIEWING and waits not in (None, "section", DISCARD_ASKED)
        interviewing, role = ctx.state == INTERVIEWING, ctx.user.actor.role
        parsed = read(event.text, interviewing=interviewing, awaiting_text=awaiting, role=role)
        if parsed.verb is None and not interviewing and waits is None:
            # "ok I talked to the teacher, mark it as reviewed": the request the remark hid
            return after_a_remark(event.text, role) or parsed
        return parsed

    async def _dispatch(self, ctx: Context) -> list[Reply]:
        forget_offers(ctx)  # a new terminal screen shows none of them
        followed = follow(ctx)  # "who are my students?" answered in English: said first
        parsed = self._read(ctx)
        handler = handlers.ANYWHERE.get(parsed.verb or "") or handlers.BY_STATE[ctx.state]
        replies = await handler(self.deps, ctx, parsed)
        return replies if followed is None else [followed, *replies]

    def expired(self, ctx: Context) -> bool:
        """True when an interview has waited longer than the idle timeout."""
        return self.settings.expired(ctx.updated_at)
