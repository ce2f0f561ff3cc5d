"""The analysis interview as stored rows: start, append turns, store the result, fail, retry."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import with_expression

from core.actor import Actor
from core.analysis_records import (
    CANCELLED,
    InterviewSnapshot,
    audit_analysis_change,
    own_analysis,
    snapshot,
)
from core.audit import record, service
from core.errors import Conflict, NotFound, StudentNotFound
from core.models import (
    Analysis,
    AnalysisConversation,
    AnalysisStatus,
    AuditAction,
    ConversationRole,
    Student,
    User,
    UserRole,
)
from core.models.analysis import NOTES_FOR_ACTOR
from core.policy import (
    require_role,
    visible_analyses,
    visible_students,
)
from core.quota import ensure_quota
from core.uow import UnitOfWork


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


@service
async def start_analysis(
    *,
    uow: UnitOfWork,
    actor: Actor,
    student_id: uuid.UUID,
    system_prompt: str,
    now: datetime | None = None,
) -> InterviewSnapshot:
    """Create an IN_PROGRESS analysis of a visible student with its system prompt as turn 1."""
    require_role(actor, UserRole.TEACHER, resource="Analysis")
    student = await uow.session.scalar(
        select(Student).where(Student.id == student_id, visible_students(actor))
    )
    if student is None:
        raise StudentNotFound(str(student_id))
    moment = _now(now)
    await ensure_quota(uow.session, student.school_id, moment)
    analysis = Analysis(
        student_id=student.id,
        teacher_id=actor.user_id,
        created_at=moment,
        total_tokens=0,
        estimated_cost=0.0,
        session_duration=0,
    )
    uow.session.add(analysis)
    await uow.session.flush()
    uow.session.add(
        AnalysisConversation(
            analysis_id=analysis.id,
            role=ConversationRole.SYSTEM,
            content=system_prompt,
            sequence_number=1,
            tokens=None,
            created_at=moment,
        )
    )
    record(uow, actor, AuditAction.CREATE, "Analysis", analysis.id, student_ids=[student.id])
    await uow.commit()
    return await snapshot(uow, actor, analysis)


@service
async def load_interview(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID
) -> InterviewSnapshot:
    """An analysis the actor may see, with its turns (private notes only for the author)."""
    analysis = await uow.session.scalar(
        select(Analysis)
        .where(Analysis.id == analysis_id, visible_analyses(actor))
        # The author's own notes come back (the column itself is not readable); others get NULL.
        .options(with_expression(Analysis.notes_for_actor, NOTES_FOR_ACTOR))
    )
    if analysis is None:
        raise NotFound("Analysis", str(analysis_id))
    loaded = await snapshot(uow, actor, analysis)
    if analysis.teacher_id != actor.user_id:  # read by another: name the teacher who wrote it
        author = (
            await uow.session.execute(
                select(User.first_name, User.last_name).where(User.id == analysis.teacher_id)
            )
        ).first()
        if author is not None:
            loaded = replace(loaded, teacher_name=f"{author.first_name} {author.last_name}")
    record(uow, actor, AuditAction.READ, "Analysis", analysis.id, student_ids=[analysis.student_id])
    await uow.commit()
    return loaded


@service
async def mark_failed(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID, reason: str
) -> None:
    """Status FAILED, its reason (`cancelled`, `ai_invalid`, ...) on it and in the audit row."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    analysis.status = AnalysisStatus.FAILED
    analysis.failure_reason = reason
    changed = ["status", "failure_reason"]
    if reason == CANCELLED and analysis.flagged_for_review:
        # Dropped for good by its teacher: nothing is left for the principal to follow up.
        analysis.flagged_for_review = False
        changed.append("flagged_for_review")
    audit_analysis_change(uow, actor, analysis, changed, reason=reason)
    await uow.commit()


@service
async def reopen_for_retry(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID
) -> InterviewSnapshot:
    """Put a FAILED analysis back IN_PROGRESS so the interview continues from its stored turns."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    if analysis.status is not AnalysisStatus.FAILED:
        raise Conflict(f"analysis is {analysis.status}")
    analysis.status = AnalysisStatus.IN_PROGRESS
    analysis.failure_reason = None
    audit_analysis_change(uow, actor, analysis, ["status", "failure_reason"], reason="retry")
    await uow.commit()
    return await snapshot(uow, actor, analysis)


async def _newest_unfinished(uow: UnitOfWork, actor: Actor) -> Analysis | None:
    """The newest IN_PROGRESS or not-cancelled FAILED analysis of the actor.

    One statement: the reason is on the analysis (0021). Read from the partitioned audit
    trail, it cost a search of every month since the oldest candidate, a page at a time.
    """
    unfinished = or_(
        Analysis.status == AnalysisStatus.IN_PROGRESS,
        and_(
            Analysis.status == AnalysisStatus.FAILED,
            Analysis.failure_reason.is_distinct_from(CANCELLED),
        ),
    )
    return (
        await uow.session.scalars(
            select(Analysis)
            .where(Analysis.teacher_id == actor.user_id, visible_analyses(actor), unfinished)
            .order_by(Analysis.created_at.desc(), Analysis.id)
            .limit(1)
        )
    ).first()


@service
async def latest_unfinished(*, uow: UnitOfWork, actor: Actor) -> InterviewSnapshot | None:
    """The actor's newest analysis to offer for `resume` / `retry`: IN_PROGRESS, or FAILED
    for any reason but `cancelled` (a cancelled analysis is over for good)."""
    analysis = await _newest_unfinished(uow, actor)
    loaded = await snapshot(uow, actor, analysis) if analysis else None
    if analysis is not None and loaded is not None and loaded.status is AnalysisStatus.FAILED:
        loaded = replace(loaded, failure_reason=analysis.failure_reason)
    record(
        uow,
        actor,
        AuditAction.READ,
        "Analysis",
        analysis.id if analysis else None,
        student_ids=[analysis.student_id] if analysis else [],
        operation="unfinished",
    )
    await uow.commit()
    return loaded
