"""Loading analyses for the interview services: snapshots of rows and the author check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.errors import AccessDenied, NotFound
from core.models import Analysis, AnalysisConversation, AnalysisStatus, ConversationRole, Student
from core.policy import may_edit_analysis, may_read_private_notes, visible_analyses
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


async def snapshot(uow: UnitOfWork, actor: Actor, analysis: Analysis) -> InterviewSnapshot:
    student = await uow.session.get(Student, analysis.student_id)
    assert student is not None
    turns = (
        await uow.session.scalars(
            select(AnalysisConversation)
            .where(AnalysisConversation.analysis_id == analysis.id)
            .order_by(AnalysisConversation.sequence_number)
        )
    ).all()
    return InterviewSnapshot(
        analysis.id,
        analysis.teacher_id,
        StudentIdentity(
            student.id,
            student.first_name,
            student.last_name,
            student.student_id,
            student.date_of_birth,
        ),
        analysis.status,
        [Turn(t.role, t.content, t.sequence_number, t.tokens) for t in turns],
        analysis.results,
        analysis.teacher_edits,
        analysis.private_notes if may_read_private_notes(actor, analysis) else None,
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
    stmt = select(Analysis).where(Analysis.id == analysis_id, visible_analyses(actor))
    analysis = await uow.session.scalar(stmt.with_for_update() if lock else stmt)
    if analysis is None:
        raise NotFound("Analysis", str(analysis_id))
    if not may_edit_analysis(actor, analysis):
        raise AccessDenied("not_author", resource="Analysis", resource_id=str(analysis_id))
    return analysis
