"""The dialogue engine: one event in, replies out; state lives in Postgres, order in Redis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import handlers
from bot.commands import Parsed, from_action, read
from bot.deps import Deps
from bot.events import Incoming, Reply
from bot.explain import explain
from bot.i18n import LANGUAGES, t, tn
from bot.interview import Interviewer, PriceTable
from bot.slots import AIOutsideSlots, Slots
from bot.states import IDLE, INTERVIEWING, REVIEWING
from core import identity
from core.actor import Channel
from core.dialogue_states import ConversationState, save_state
from core.errors import DomainError
from core.models import DialogueState, ProcessedEvent
from core.ports.ai import AIProvider
from core.ports.charts import ChartRenderer
from core.ports.coordination import ConversationLocks, SeenEvents
from core.uow import UnitOfWork

_EVENTS = ProcessedEvent.__table__
_STATES = DialogueState.__table__
_STATE_COLUMNS = (_STATES.c.state, _STATES.c.analysis_id, _STATES.c.data, _STATES.c.updated_at)
_THIS_CONVERSATION = (
    (_STATES.c.platform == bindparam("platform"))
    & (_STATES.c.workspace_id == bindparam("workspace_id"))
    & (_STATES.c.external_user_id == bindparam("external_user_id"))
)
_FRESH = (
    insert(_EVENTS)
    .values(event_key=bindparam("event_key"))
    .on_conflict_do_nothing()
    .returning(_EVENTS.c.id)
    .cte("fresh")
)
_ONE = select(literal_column("1").label("one")).subquery("one")
# Everything an event needs before its handler runs, in one round trip: the state record if
# there is one and the linked user if there is one (a row of NULLs when neither), and, for an
# event with an id, that id's new row in processed_events (NULL when it was seen before).
_OPENING = _ONE.outerjoin(_STATES, _THIS_CONVERSATION).outerjoin(
    identity.LINKED_USER, identity.THIS_ACCOUNT
)
_STATE_AND_USER = select(*_STATE_COLUMNS, *identity.CHAT_USER_COLUMNS).select_from(_OPENING)
_FRESH_STATE_AND_USER = select(
    select(_FRESH.c.id).scalar_subquery().label("fresh"),
    *_STATE_COLUMNS,
    *identity.CHAT_USER_COLUMNS,
).select_from(_OPENING)


@dataclass(frozen=True)
class DialogueSettings:
    """Interview length, idle expiry and language defaults."""

    min_questions: int = 3
    max_questions: int = 8
    idle_timeout: timedelta = timedelta(hours=24)
    default_language: str = "he"
    search_limit: int = 5

    def expired(self, updated_at: datetime | None) -> bool:
        """True when an interview last touched at `updated_at` has waited past the timeout."""
        return updated_at is not None and datetime.now(UTC) - updated_at > self.idle_timeout


@dataclass
class Context:
    """One event being handled: who, where, and the conversation's state record."""

    event: Incoming
    user: identity.ChatUser
    state: str = IDLE
    analysis_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    # The state record as this event already stored it (None: not stored yet).
    stored: ConversationState | None = None

    @property
    def language(self) -> str:
        """The language to answer in."""
        return str(self.data.get("language") or self.user.language)

    def say(self, key: str, **values: Any) -> str:
        """A catalogue sentence in the user's language."""
        return t(self.language, key, **values)

    def tn(self, key: str, count: int, **values: Any) -> str:
        """A catalogue sentence in the plural form that fits `count`."""
        return tn(self.language, key, count, **values)

    def go(self, state: str, analysis_id: uuid.UUID | None = None, **data: Any) -> None:
        """Move to `state`, keeping only the language among the old data."""
        language = self.data.get("language")
        self.state, self.analysis_id = state, analysis_id
        self.data = {**({"language": language} if language else {}), **data}

    def planned(
        self, state: str, analysis_id: uuid.UUID | None, *, keep_data: bool = False
    ) -> ConversationState:
        """The state record after `go(state, analysis_id)` (or as it is, with `keep_data`)."""
        if keep_data:
            data = dict(self.data)
        else:
            language = self.data.get("language")
            data = {"language": language} if language else {}
        event = self.event
        return ConversationState(
            event.platform,
            event.workspace_id,
            event.external_user_id,
            self.user.actor.user_id,
            state,
            analysis_id,
            data,
        )


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
    ) -> None:
        self.session_factory = session_factory
        self.charts = charts  # None: summaries come without a chart
        # Set by the Telegram adapter once it knows its bot, for invite deep links.
        self.bot_username: str | None = None
        self.locks = locks
        self.seen = seen
        self.settings = settings or DialogueSettings()
        # The process's bound on turns at once (held by whoever runs the turn, see bot/slots.py);
        # the engine gives the slot back while the model answers.
        self.slots = slots
        if slots is not None:
            ai = AIOutsideSlots(ai, slots)
        self.interviewer = Interviewer(ai, prices or {}, self.uow)
        # What handlers get: the parts they use, not the engine.
        self.deps = Deps(
            uow=self.uow,
            interviewer=self.interviewer,
            settings=self.settings,
            charts=charts,
            checkpoint=self._save,
            bot_username=lambda: self.bot_username,
        )

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return UnitOfWork(self.session_factory)

    async def handle(self, event: Incoming) -> list[Reply]:
        """Answer one event; a redelivered event id gets no second answer."""
        if event.event_key and not await self.seen.first_time(event.event_key):
            return []
        async with self.locks.hold(event.conversation_key):
            ctx = await self._open(event)
            if ctx is None:
                return []
            if isinstance(ctx, Reply):
                return [ctx]
            try:
                replies = await self._dispatch(ctx)
            except DomainError as error:
                replies = [Reply(self._explain(ctx, error))]
            await self._save(ctx)
            if not event.is_direct:
                # Student data goes only to the user's DM; the group just hears where to look.
                replies = [Reply(ctx.say("private_notice"), public=True), *replies]
            return replies

    async def _open(self, event: Incoming) -> Context | Reply | None:
        channel = Channel(str(event.platform), event.chat_id, event.workspace_id)
        key = {
            "platform": event.platform,
            "workspace_id": event.workspace_id,
            "external_user_id": event.external_user_id,
        }
        async with self.uow() as uow:
            await uow.single_statement()
            if event.event_key:
                params = {**key, "event_key": event.event_key}
                row = (await uow.session.execute(_FRESH_STATE_AND_USER, params)).one()
                if row.fresh is None:
                    return None
            else:
                row = (await uow.session.execute(_STATE_AND_USER, key)).one()
            await uow.commit()
        user = identity.chat_user(row, channel, self.settings.default_language, event.language)
        if user is None:
            hinted = event.language if event.language in LANGUAGES else None
            return Reply(t(hinted or self.settings.default_language, "not_linked"))
        ctx = Context(event, user)
        if row.state is not None:
            ctx.state, ctx.analysis_id = row.state, row.analysis_id
            ctx.data, ctx.updated_at = dict(row.data or {}), row.updated_at
        return ctx

    async def _save(self, ctx: Context) -> None:
        values = ctx.planned(ctx.state, ctx.analysis_id, keep_data=True)
        if values == ctx.stored:
            return  # the exchange's last unit of work already stored exactly this
        async with self.uow() as uow:
            await save_state(uow.session, values)
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
        awaiting = ctx.state == REVIEWING and ctx.data.get("awaiting") not in (None, "section")
        return read(event.text, interviewing=ctx.state == INTERVIEWING, awaiting_text=awaiting)

    async def _dispatch(self, ctx: Context) -> list[Reply]:
        parsed = self._read(ctx)
        handler = handlers.ANYWHERE.get(parsed.verb or "") or handlers.BY_STATE[ctx.state]
        return await handler(self.deps, ctx, parsed)

    def expired(self, ctx: Context) -> bool:
        """True when an interview has waited longer than the idle timeout."""
        return self.settings.expired(ctx.updated_at)
