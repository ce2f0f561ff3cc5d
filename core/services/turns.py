"""Writing the interview's turns: the teacher's answer, the assistant's question, the result.

The hot path of every exchange: the teacher's turn and the question are one statement each on
the driver connection (core/turn_statements.py); the rarer writes go through the ORM.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from core import inbox, turn_statements
from core.actor import Actor
from core.analysis_records import (
    InterviewSnapshot,
    Turn,
    audit_analysis_change,
    own_analysis,
    snapshot,
    student_of,
)
from core.audit import record, service
from core.dialogue_states import ConversationState
from core.errors import AccessDenied, AnalysisClosed, NotFound
from core.models import (
    Analysis,
    AnalysisConversation,
    AnalysisStatus,
    AuditAction,
    ConversationRole,
    UserRole,
)
from core.policy import actor_values, may_edit_analysis
from core.uow import UnitOfWork


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _touch(analysis: Analysis, now: datetime) -> None:
    analysis.session_duration = max(0, int((now - analysis.created_at).total_seconds()))


def _loaded(record: Any) -> Any:
    """A driver row of `mine.*` as the attribute row the snapshot and the policy read."""
    if record is None or record["id"] is None:
        return None  # the analysis is not there, or not visible to the actor
    row = SimpleNamespace(**dict(record.items()))
    row.status = AnalysisStatus(row.status)
    for name in ("results", "teacher_edits"):
        value = getattr(row, name, None)
        setattr(row, name, json.loads(value) if isinstance(value, str) else value)
    return row


def _check(actor: Actor, analysis_id: uuid.UUID, row: Any) -> None:
    """The refusals of the old row-by-row path, in its order, from what the statement saw."""
    if row is None:
        raise NotFound("Analysis", str(analysis_id))
    if not may_edit_analysis(actor, row):
        raise AccessDenied("not_author", resource="Analysis", resource_id=str(analysis_id))
    if row.status is not AnalysisStatus.IN_PROGRESS:
        raise AnalysisClosed(row.status)


def _params(
    actor: Actor,
    analysis_id: uuid.UUID,
    role: ConversationRole,
    content: str,
    tokens: int | None,
    billed_tokens: int | None,
    cost: float,
    now: datetime | None,
) -> dict[str, Any]:
    return {
        "analysis_id": analysis_id,
        **actor_values(actor),
        "may_edit": actor.role is UserRole.TEACHER,
        "role": str(role),
        "content": content,
        "tokens": tokens,
        "billed": billed_tokens or 0,
        "cost": cost,
        "now": _now(now),
    }


def _values(row: Any, billed_tokens: int | None, cost: float, now: datetime) -> dict[str, Any]:
    """The analysis's counters as the statement left them."""
    return {
        "total_tokens": (row.total_tokens or 0) + (billed_tokens or 0),
        "estimated_cost": (row.estimated_cost or 0.0) + cost,
        "session_duration": max(0, int((now - row.created_at).total_seconds())),
    }


def _audit_turn(uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID,
                role: ConversationRole, event_key: str | None) -> None:  # fmt: skip
    """The UPDATE audit row of a turn (the statement adds the turn's number and studentIds)."""
    record(uow, actor, AuditAction.UPDATE, "Analysis", analysis_id,
           changed_fields=["conversation"], role=str(role),
           **({"eventKey": event_key} if event_key else {}))  # fmt: skip


@service(on_driver=True)
async def append_turn(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    role: ConversationRole,
    content: str,
    tokens: int | None = None,
    now: datetime | None = None,
    event_key: str | None = None,
) -> InterviewSnapshot:
    """Store the next turn (sequence max + 1), unbilled (a teacher's answer).

    The analysis row is not written: its duration is brought up to date by the question's
    write that follows (`append_question`).

    Returns the interview as it now stands, read in the same statement, so the dialogue needs
    no second unit of work before calling the model. A turn with an `event_key` is stored once
    per inbox event, however often the event is run.
    """
    params = _params(actor, analysis_id, role, content, tokens, None, 0.0, now)
    _audit_turn(uow, actor, analysis_id, role, event_key)
    found = await uow.run_audited(
        turn_statements.statement(actor, answer=True), {**params, "event_key": event_key}
    )
    row = _loaded(found)
    _check(actor, analysis_id, row)
    assert row is not None
    student = student_of(row)
    turns = [
        Turn(ConversationRole(r), c, n, t)
        for r, c, n, t in zip(row.turn_roles, row.turn_contents, row.turn_numbers,
                              row.turn_tokens, strict=True)
    ]  # fmt: skip
    if not row.fresh:
        # An earlier run of this event stored it, then crashed before answering: not again.
        stored = await snapshot(uow, actor, row, turns=turns, student=student)
        record(uow, actor, AuditAction.READ, "Analysis", row.id,
               student_ids=[row.student_id], eventKey=event_key, replay=True)  # fmt: skip
        await uow.commit()
        return stored
    turns.append(Turn(role, content, row.sequence, tokens))
    loaded = await snapshot(uow, actor, row, turns=turns, student=student)
    await uow.commit()
    return dataclasses.replace(loaded, **_values(row, None, 0.0, params["now"]))


@service(on_driver=True)
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
    answer: inbox.Answer | None = None,
) -> None:
    """Store the assistant's next question, as `append_turn` does, without reading it back.

    `state` is the conversation's state record once the question is asked, and `answer` the
    inbox event it answers with its replies to send: both are written in the same statement,
    so the exchange ends with this commit.
    """
    role = ConversationRole.ASSISTANT
    params = _params(actor, analysis_id, role, content, tokens, billed_tokens, cost, now)
    _audit_turn(uow, actor, analysis_id, role, None)
    found = await uow.run_audited(
        turn_statements.statement(actor, answer=False),
        {**params, **_state_params(state), **inbox.answer_params(answer)},
    )
    _check(actor, analysis_id, _loaded(found))
    await uow.commit()


def _state_params(state: ConversationState | None) -> dict[str, Any]:
    if state is None:
        return {"save_state": False, "platform": None, "workspace_id": None,
                "external_user_id": None, "state_user_id": None, "state": None,
                "state_analysis_id": None, "data": None}  # fmt: skip
    return {
        "save_state": True,
        "platform": str(state.platform),
        "workspace_id": state.workspace_id,
        "external_user_id": state.external_user_id,
        "state_user_id": state.user_id,
        "state": state.state,
        "state_analysis_id": state.analysis_id,
        "data": json.dumps(state.data),
    }


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
        raise AnalysisClosed(analysis.status)
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
