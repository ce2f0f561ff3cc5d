"""A student's analyses over time, as far as the actor may see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.actor import Actor
from core.audit import record, service
from core.errors import StudentNotFound
from core.models import Analysis, AuditAction, Student, User
from core.policy import visible_analyses, visible_students
from core.uow import UnitOfWork

MAX_ITEMS = 50


@dataclass(frozen=True)
class HistoryItem:
    """One analysis in a student's history (no results, no private notes)."""

    analysis_id: uuid.UUID
    created_at: datetime
    status: str
    teacher_name: str
    flagged: bool
    edited: bool
    # Why a FAILED analysis failed (`cancelled` by its teacher, `ai_unavailable`...), else None.
    reason: str | None = None


@service
async def student_history(
    *, uow: UnitOfWork, actor: Actor, student_id: uuid.UUID
) -> list[HistoryItem]:
    """The visible analyses of a visible student, newest first."""
    student = await uow.session.scalar(
        select(Student).where(Student.id == student_id, visible_students(actor))
    )
    if student is None:
        raise StudentNotFound(str(student_id))
    # The student was found visible in this transaction, and an analysis is visible exactly
    # when its student is (policy.visible_analyses): asking again would read the student's
    # visibility once more (under row-level security its policy too) for every history.
    rows = (
        await uow.session.execute(
            select(Analysis, User.first_name, User.last_name)
            .join(User, User.id == Analysis.teacher_id)
            .where(Analysis.student_id == student.id, Analysis.deleted_at.is_(None))
            .order_by(Analysis.created_at.desc())
            .limit(MAX_ITEMS)
        )
    ).all()
    items = [
        HistoryItem(
            a.id,
            a.created_at,
            str(a.status),
            f"{first} {last}",
            a.flagged_for_review,
            bool(a.teacher_edits),
            a.failure_reason,  # NULL unless FAILED (0021's CHECK)
        )
        for a, first, last in rows
    ]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Analysis",
        student.id,
        student_ids=[student.id],
        operation="history",
        analysisIds=[str(i.analysis_id) for i in items],
    )
    await uow.commit()
    return items


@dataclass(frozen=True)
class RecentAnalysis:
    """One of the actor's own analyses, for choosing which one a note is about."""

    analysis_id: uuid.UUID
    student_name: str
    status: str
    updated_at: datetime
    # Why a FAILED one failed (`cancelled` by its teacher...): a note is seldom meant for it.
    reason: str | None = None


@service
async def recent_own_analyses(
    *, uow: UnitOfWork, actor: Actor, limit: int = 5
) -> list[RecentAnalysis]:
    """The actor's own analyses (not discarded), most recently touched first."""
    rows = (
        await uow.session.execute(
            select(Analysis, Student.first_name, Student.last_name)
            .join(Student, Student.id == Analysis.student_id)
            .where(
                Analysis.teacher_id == actor.user_id,
                Analysis.deleted_at.is_(None),
                visible_analyses(actor),
            )
            .order_by(Analysis.updated_at.desc(), Analysis.id)
            .limit(limit)
        )
    ).all()
    found = [
        RecentAnalysis(a.id, f"{first} {last}", str(a.status), a.updated_at, a.failure_reason)
        for a, first, last in rows
    ]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Analysis",
        student_ids=[a.student_id for a, _, _ in rows],
        operation="recent",
        analysisIds=[str(r.analysis_id) for r in found],
    )
    await uow.commit()
    return found
