"""Writing the interview's turns: the teacher's answer, the assistant's question, the result.

The hot path of every exchange, so statements are built once and writes go through Core.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Update, bindparam, func, insert, select, update

from core import inbox
from core.actor import Actor
from core.analysis_records import (
    InterviewSnapshot,
    Turn,
    audit_analysis_change,
    load_turns,
    own_analysis,
    own_analysis_row,
    snapshot,
    student_of,
)
from core.audit import record, service
from core.dialogue_states import ConversationState, save_state
from core.errors import Conflict
from core.models import (
    Analysis,
    AnalysisConversation,
    AnalysisStatus,
    AuditAction,
    ConversationRole,
)
from core.uow import UnitOfWork


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _touch(analysis: Analysis, now: datetime) -> None:
    analysis.session_duration = max(0, int((now - analysis.created_at).total_seconds()))


_ANALYSES = Analysis.__table__
_TURNS = AnalysisConversation.__table__
_INSERT_TURN = insert(_TURNS)
_LAST_SEQUENCE = select(func.max(_TURNS.c.sequence_number)).where(
    _TURNS.c.analysis_id == bindparam("analysis_id")
)
_UPDATES: dict[tuple[str, ...], Update] = {}


async def _update_analysis(
    uow: UnitOfWork, analysis_id: uuid.UUID, changes: dict[str, Any]
) -> None:
    """UPDATE only the columns whose value changed (as an ORM flush would), if any."""
    if not changes:
        return
    key = tuple(sorted(changes))
    stmt = _UPDATES.get(key)
    if stmt is None:
        stmt = (
            update(_ANALYSES)
            .where(_ANALYSES.c.id == bindparam("analysis_id_"))
            .values({name: bindparam(name) for name in key})
        )
        _UPDATES[key] = stmt
    await uow.session.execute(stmt, {"analysis_id_": analysis_id, **changes})


async def _append(
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    role: ConversationRole,
    content: str,
    tokens: int | None,
    billed_tokens: int | None,
    cost: float,
    now: datetime | None,
    event_key: str | None,
    *,
    with_turns: bool,
) -> tuple[Any, dict[str, Any], list[Turn] | None]:
    """The shared write of a turn; returns the analysis row, its new values and the turns."""
    analysis = await own_analysis_row(uow, actor, analysis_id, with_student=with_turns)
    if analysis.status is not AnalysisStatus.IN_PROGRESS:
        raise Conflict(f"analysis is {analysis.status}")
    turns: list[Turn] | None = None
    if with_turns:
        # Under the row lock, the stored turns give the last sequence number too.
        turns = await load_turns(uow, analysis.id)
        last = max((turn.sequence_number for turn in turns), default=None)
    else:
        last = await uow.session.scalar(_LAST_SEQUENCE, {"analysis_id": analysis.id})
    sequence = (last or 0) + 1
    moment = _now(now)
    await uow.session.execute(
        _INSERT_TURN,
        {
            "analysis_id": analysis.id,
            "role": role,
            "content": content,
            "tokens": tokens,
            "sequence_number": sequence,
            "created_at": moment,
        },
    )
    if turns is not None:
        turns.append(Turn(role, content, sequence, tokens))
    # The row keeps its own tokens; the analysis bills the whole call (prompt + completion).
    values = {
        "total_tokens": (analysis.total_tokens or 0) + (billed_tokens or 0),
        "estimated_cost": (analysis.estimated_cost or 0.0) + cost,
        "session_duration": max(0, int((moment - analysis.created_at).total_seconds())),
    }
    changes = {name: value for name, value in values.items() if value != getattr(analysis, name)}
    await _update_analysis(uow, analysis.id, changes)
    audit_analysis_change(
        uow,
        actor,
        analysis,
        ["conversation"],
        turn=sequence,
        role=str(role),
        **({"eventKey": event_key} if event_key else {}),
    )
    return analysis, values, turns


@service
async def append_turn(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    role: ConversationRole,
    content: str,
    tokens: int | None = None,
    billed_tokens: int | None = None,
    cost: float = 0.0,
    now: datetime | None = None,
    event_key: str | None = None,
) -> InterviewSnapshot:
    """Store the next turn (sequence max + 1), keep tokens, cost and duration current.

    Returns the interview as it now stands, read in the same transaction, so the dialogue
    needs no second unit of work before calling the model. A turn with an `event_key` is
    stored once per inbox event, however often the event is run.
    """
    if event_key is not None and not await inbox.mark_applied(uow.session, event_key):
        # An earlier run of this event stored it, then crashed before answering: not again.
        analysis = await own_analysis_row(uow, actor, analysis_id, with_student=True)
        stored = await snapshot(
            uow, actor, analysis, turns=await load_turns(uow, analysis.id),
            student=student_of(analysis),
        )  # fmt: skip
        record(uow, actor, AuditAction.READ, "Analysis", analysis.id,
               student_ids=[analysis.student_id], eventKey=event_key, replay=True)  # fmt: skip
        await uow.commit()
        return stored
    analysis, values, turns = await _append(
        uow, actor, analysis_id, role, content, tokens, billed_tokens, cost, now, event_key,
        with_turns=True,
    )  # fmt: skip
    loaded = await snapshot(uow, actor, analysis, turns=turns, student=student_of(analysis))
    await uow.commit()
    return dataclasses.replace(
        loaded,
        total_tokens=values["total_tokens"],
        estimated_cost=values["estimated_cost"],
        session_duration=values["session_duration"],
    )


@service
async def append_question(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    content: str,
    tokens: int | None = None,
    billed_tokens: int | None = None,
    cost: float = 0.0,
    now: datetime | None = None,
    state: ConversationState | None = None,
) -> None:
    """Store the assistant's next question, as `append_turn` does, without reading it back.

    `state` is the conversation's state record once the question is asked: it is written in
    the same transaction, so asking needs no further unit of work.
    """
    await _append(
        uow, actor, analysis_id, ConversationRole.ASSISTANT, content, tokens, billed_tokens,
        cost, now, None, with_turns=False,
    )  # fmt: skip
    if state is not None:
        await save_state(uow.session, state)
    await uow.commit()


@service
async def store_result(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    result: dict[str, Any],
    content: str,
    tokens: int | None,
    billed_tokens: int,
    cost: float,
    now: datetime | None = None,
) -> InterviewSnapshot:
    """Keep the validated analysis in `results` and its text as the final assistant turn."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    if analysis.status is not AnalysisStatus.IN_PROGRESS:
        raise Conflict(f"analysis is {analysis.status}")
    last = await uow.session.scalar(
        select(func.max(AnalysisConversation.sequence_number)).where(
            AnalysisConversation.analysis_id == analysis.id
        )
    )
    moment = _now(now)
    uow.session.add(
        AnalysisConversation(
            analysis_id=analysis.id,
            role=ConversationRole.ASSISTANT,
            content=content,
            tokens=tokens,
            sequence_number=(last or 0) + 1,
            created_at=moment,
        )
    )
    analysis.results = result
    analysis.total_tokens = (analysis.total_tokens or 0) + billed_tokens
    analysis.estimated_cost = (analysis.estimated_cost or 0.0) + cost
    _touch(analysis, moment)
    audit_analysis_change(uow, actor, analysis, ["results", "conversation"])
    await uow.commit()
    return await snapshot(uow, actor, analysis)


@service
async def add_usage(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    tokens: int,
    cost: float,
    reason: str,
) -> None:
    """Count tokens spent on a call whose output was not kept (invalid result, repair)."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    analysis.total_tokens = (analysis.total_tokens or 0) + tokens
    analysis.estimated_cost = (analysis.estimated_cost or 0.0) + cost
    audit_analysis_change(uow, actor, analysis, ["total_tokens", "estimated_cost"], reason=reason)
    await uow.commit()
