"""The dialogue_states row: read with the chat user as an exchange opens, written as it ends.

The dialogue engine keeps a conversation's small state record here. `save_state` is the row's
one writer: the exchange's end (`end_exchange`) and the service that stores the assistant's
question (so that exchange needs no further unit of work) both go through it. Core knows only
the values, never the dialogue itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import identity, inbox
from core.driver_sql import compose
from core.models import ChatPlatform, DialogueState, UserRole
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ConversationState:
    """One conversation's state record: who, which step, which analysis, small data."""

    platform: ChatPlatform
    workspace_id: str
    external_user_id: str
    user_id: uuid.UUID | None
    state: str
    analysis_id: uuid.UUID | None
    data: dict[str, Any]


_TABLE = DialogueState.__table__
_INSERT = insert(_TABLE)
_UPSERT = _INSERT.on_conflict_do_update(
    index_elements=["platform", "workspace_id", "external_user_id"],
    set_={name: _INSERT.excluded[name] for name in ("state", "analysis_id", "data", "user_id")},
)


async def save_state(session: AsyncSession, values: ConversationState) -> None:
    """Insert or update the conversation's row (the trigger keeps `updated_at` current)."""
    await session.execute(
        _UPSERT,
        {
            "platform": values.platform,
            "workspace_id": values.workspace_id,
            "external_user_id": values.external_user_id,
            "user_id": values.user_id,
            "state": values.state,
            "analysis_id": values.analysis_id,
            "data": values.data,
        },
    )


_STATE_COLUMNS = (
    _TABLE.c.state,
    _TABLE.c.analysis_id,
    _TABLE.c.data,
    _TABLE.c.updated_at,
    _TABLE.c.user_id.label("state_user_id"),
)
_THIS_CONVERSATION = (
    (_TABLE.c.platform == bindparam("platform"))
    & (_TABLE.c.workspace_id == bindparam("workspace_id"))
    & (_TABLE.c.external_user_id == bindparam("external_user_id"))
)
_ONE = select(literal_column("1").label("one")).subquery("one")
# Everything an event needs before its handler runs, in one round trip: the state record if
# there is one and the linked user if there is one (a row of NULLs when neither), and, for an
# event with a key, its claim on the inbox row (NULL when it was answered before).
_OPENING = _ONE.outerjoin(_TABLE, _THIS_CONVERSATION).outerjoin(
    identity.LINKED_USER, identity.THIS_ACCOUNT
)
_STATE_AND_USER = select(*_STATE_COLUMNS, *identity.CHAT_USER_COLUMNS).select_from(_OPENING)
_CLAIM_STATE_AND_USER = select(
    select(inbox.CLAIM.c.id).scalar_subquery().label("claimed"),
    *_STATE_COLUMNS,
    *identity.CHAT_USER_COLUMNS,
).select_from(_OPENING)


_OPEN_STATEMENT = compose("{q}", q=_STATE_AND_USER)
_OPEN_CLAIMING = compose("{q}", q=_CLAIM_STATE_AND_USER)


def _opened(record: Any) -> Any:
    """A driver row of the opening read with the values SQLAlchemy's types would give."""
    row = SimpleNamespace(**dict(record.items()))
    for name in ("data", "user_settings", "school_settings"):
        value = getattr(row, name)
        setattr(row, name, json.loads(value) if isinstance(value, str) else value)
    if row.user_role is not None:
        row.user_role = UserRole(row.user_role)
    return row


async def open_exchange(
    uow: UnitOfWork,
    *,
    platform: ChatPlatform,
    workspace_id: str,
    external_user_id: str,
    conversation_key: str,
    event_key: str | None,
) -> Any | None:
    """The state record and chat user columns; None when the event was answered before.

    One statement, autocommitted, on the driver connection (`UnitOfWork.run_single`).
    """
    key = {"platform": str(platform), "workspace_id": workspace_id,
           "external_user_id": external_user_id}  # fmt: skip
    if event_key is None:
        return _opened(await uow.run_single(_OPEN_STATEMENT, key))
    params = {**key, "event_key": event_key, "conversation_key": conversation_key}
    row = await uow.run_single(_OPEN_CLAIMING, params)
    return None if row["claimed"] is None else _opened(row)


async def end_exchange(
    session: AsyncSession,
    *,
    state: ConversationState | None,
    event_key: str | None,
    replies: Sequence[inbox.RecordedReply] = (),
) -> None:
    """Store the state record (None: already stored), answer the event, record its replies."""
    if state is not None:
        await save_state(session, state)
    if event_key is not None:
        await inbox.answer(session, event_key, replies)
