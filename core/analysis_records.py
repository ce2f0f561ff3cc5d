"""Loading analyses for the interview services: snapshots of rows and the author check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import with_expression
from sqlalchemy.sql.util import ClauseAdapter

from core.actor import Actor
from core.audit import record
from core.db import AnySelect
from core.errors import AccessDenied, NotFound
from core.models import (
    Analysis,
    AnalysisConversation,
    AnalysisStatus,
    AuditAction,
    ConversationRole,
    Student,
    UserRole,
)
from core.models.analysis import NOTES_FOR_ACTOR
from core.policy import (
    actor_values,
    may_edit_analysis,
    may_read_private_notes,
    placeholder_actor,
    visible_analyses,
    visible_students,
)
from core.uow import UnitOfWork


@dataclass(frozen=True)
class Turn:
    """One stored message of the conversation."""

    role: ConversationRole
    content: str
    sequence_number: int
    tokens: int | None


@dataclass(frozen=True)
class StudentIdentity:
    """What the pseudonymiser must hide; never sent to the AI provider."""

    id: uuid.UUID
    first_name: str
    last_name: str
    student_id: str | None
    date_of_birth: datetime | None


# The failure reason of an analysis its teacher cancelled: over for good, never offered again.
CANCELLED = "cancelled"


@dataclass(frozen=True)
class InterviewSnapshot:
    """An analysis and its turns, as the dialogue needs them."""

    analysis_id: uuid.UUID
    teacher_id: uuid.UUID
    student: StudentIdentity
    status: AnalysisStatus
    turns: list[Turn]
    results: dict[str, Any] | None
    teacher_edits: dict[str, Any] | None
    private_notes: str | None
    flagged_for_review: bool
    total_tokens: int
    estimated_cost: float
    session_duration: int | None
    created_at: datetime
    # Why a FAILED analysis failed (`ai_unavailable`, `expired`...), when it was asked for.
    failure_reason: str | None = None
    # Its teacher's name, when someone else (a principal, an admin) reads it.
    teacher_name: str | None = None

    @property
    def questions_asked(self) -> int:
        """Assistant questions so far (the final result is not a question)."""
        return sum(1 for t in self.turns if t.role is ConversationRole.ASSISTANT) - (
            1 if self.results is not None else 0
        )

    @property
    def last_role(self) -> ConversationRole | None:
        """Role of the newest turn."""
        return self.turns[-1].role if self.turns else None


# Hot-path statements are built once, with the actor's ids as parameters (building and
# cache-keying a statement costs more Python than running it); see core.search.search_for.
_ANALYSES = Analysis.__table__
_TURNS = AnalysisConversation.__table__
_STUDENTS = Student.__table__
_STUDENT = select(
    _STUDENTS.c.id,
    _STUDENTS.c.first_name,
    _STUDENTS.c.last_name,
    _STUDENTS.c.student_id,
    _STUDENTS.c.date_of_birth,
).where(_STUDENTS.c.id == bindparam("student_id"))
_TURN_ROWS = (
    select(_TURNS.c.role, _TURNS.c.content, _TURNS.c.sequence_number, _TURNS.c.tokens)
    .where(_TURNS.c.analysis_id == bindparam("analysis_id"))
    .order_by(_TURNS.c.sequence_number)
)
_STUDENT_FIELDS = ("id", "first_name", "last_name", "student_id", "date_of_birth")
# The analysis's own student, aliased so the visibility subquery on `students` stays its own.
_INTERVIEWED = _STUDENTS.alias("interviewed")
# Every column but private_notes, which the application role cannot read (NOTES_FOR_ACTOR).
_READABLE = [column for column in _ANALYSES.c if column.key != "private_notes"]
_OWN: dict[tuple[str, bool, bool, bool], AnySelect] = {}


def _own_statement(
    actor: Actor, *, lock: bool, core: bool, with_student: bool = False
) -> AnySelect:
    key = (str(actor.role), lock, core, with_student)
    stmt = _OWN.get(key)
    if stmt is None:
        placeholder = placeholder_actor(actor)
        columns: list[Any] = (
            [*_READABLE, NOTES_FOR_ACTOR.label("notes_for_actor")] if core else [Analysis]
        )
        if with_student:
            columns += [_INTERVIEWED.c[n].label(f"interviewed_{n}") for n in _STUDENT_FIELDS]
        visible = visible_analyses(placeholder)
        if with_student and actor.role is not UserRole.ADMIN:
            # The same rule on the joined student row itself (it is the analysis's student):
            # one reference to `students` instead of two, so row-level security's student
            # policy runs once per statement.
            visible = and_(
                Analysis.deleted_at.is_(None),
                ClauseAdapter(_INTERVIEWED).traverse(visible_students(placeholder)),
            )
        stmt = select(*columns).where(Analysis.id == bindparam("analysis_id"), visible)
        if with_student:
            stmt = stmt.join_from(
                _ANALYSES, _INTERVIEWED, _INTERVIEWED.c.id == _ANALYSES.c.student_id
            )
        if not core:
            stmt = stmt.options(with_expression(Analysis.notes_for_actor, NOTES_FOR_ACTOR))
        if lock:
            # Only the analysis row is locked, as without the student's columns.
            stmt = stmt.with_for_update(of=_ANALYSES) if with_student else stmt.with_for_update()
        _OWN[key] = stmt
    return stmt


def _own_params(actor: Actor, analysis_id: uuid.UUID) -> dict[str, Any]:
    return {"analysis_id": analysis_id, **actor_values(actor)}


async def load_turns(uow: UnitOfWork, analysis_id: uuid.UUID) -> list[Turn]:
    """The analysis's turns in order."""
    rows = await uow.session.execute(_TURN_ROWS, {"analysis_id": analysis_id})
    return [Turn(*row) for row in rows]


async def load_student(uow: UnitOfWork, student_id: uuid.UUID) -> StudentIdentity:
    """The identity the pseudonymiser hides (the row is read even when soft-deleted)."""
    row = (await uow.session.execute(_STUDENT, {"student_id": student_id})).one_or_none()
    assert row is not None
    return StudentIdentity(*row)


async def snapshot(
    uow: UnitOfWork,
    actor: Actor,
    analysis: Any,
    *,
    turns: list[Turn] | None = None,
    student: StudentIdentity | None = None,
) -> InterviewSnapshot:
    """The analysis (an ORM object or a row of `analyses`) with its student and turns."""
    if student is None:
        student = await load_student(uow, analysis.student_id)
    if turns is None:
        turns = await load_turns(uow, analysis.id)
    return InterviewSnapshot(
        analysis.id,
        analysis.teacher_id,
        student,
        analysis.status,
        turns,
        analysis.results,
        analysis.teacher_edits,
        analysis.notes_for_actor if may_read_private_notes(actor, analysis) else None,
        analysis.flagged_for_review,
        analysis.total_tokens or 0,
        analysis.estimated_cost or 0.0,
        analysis.session_duration,
        analysis.created_at,
    )


async def own_analysis(
    uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID, *, lock: bool = False
) -> Analysis:
    """The actor's own analysis (author only), optionally row-locked against concurrent turns."""
    stmt = _own_statement(actor, lock=lock, core=False)
    analysis = await uow.session.scalar(stmt, _own_params(actor, analysis_id))
    if analysis is None:
        raise NotFound("Analysis", str(analysis_id))
    if not may_edit_analysis(actor, analysis):
        raise AccessDenied("not_author", resource="Analysis", resource_id=str(analysis_id))
    return analysis  # type: ignore[no-any-return]


async def own_analysis_row(
    uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID, *, with_student: bool = False
) -> Any:
    """`own_analysis(lock=True)` as a plain row of `analyses` (no ORM object to flush).

    `with_student` adds the student's identity in the same round trip (see `student_of`).
    """
    stmt = _own_statement(actor, lock=True, core=True, with_student=with_student)
    row: Any = (await uow.session.execute(stmt, _own_params(actor, analysis_id))).one_or_none()
    if row is None:
        raise NotFound("Analysis", str(analysis_id))
    if not may_edit_analysis(actor, row):
        raise AccessDenied("not_author", resource="Analysis", resource_id=str(analysis_id))
    return row


def student_of(row: Any) -> StudentIdentity:
    """The student's identity from an `own_analysis_row(with_student=True)` row."""
    return StudentIdentity(*(getattr(row, f"interviewed_{name}") for name in _STUDENT_FIELDS))


def audit_analysis_change(
    uow: UnitOfWork, actor: Actor, analysis: Any, changed_fields: list[str], **extra: Any
) -> None:
    """The audit row of a change to an analysis: UPDATE, its student, the changed fields."""
    record(
        uow,
        actor,
        AuditAction.UPDATE,
        "Analysis",
        analysis.id,
        student_ids=[analysis.student_id],
        changed_fields=changed_fields,
        **extra,
    )
