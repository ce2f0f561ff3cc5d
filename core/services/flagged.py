"""Analyses flagged for review: the principal's list (newest flag first) and `reviewed ID`.

Who flagged: the analysis's teacher, since only the author may flag (policy.may_edit_analysis).
When: `analysis_flags.flagged_at`, which a trigger on `analyses` sets in the flagging
transaction (the time of its audit row; `updated_at` for a row inserted already flagged, from
the newest flag audit row for rows flagged before migration 0009). `updated_at` itself moves
with every later edit. A principal's list reads the school's newest flags by the school's key,
so its cost is the school's, not the whole system's flagged analyses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, Text, cast, func, select, update
from sqlalchemy.sql.selectable import ScalarSelect

from core import planning
from core.actor import Actor
from core.audit import record, service
from core.db import AnySelect
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Analysis, AnalysisFlag, AuditAction, Student, User, UserRole
from core.policy import require_role, visible_students
from core.uow import UnitOfWork

MAX_LIST = 50
MIN_REFERENCE = 6
HEX = frozenset("0123456789abcdef-")


@dataclass(frozen=True)
class FlaggedView:
    """One flagged analysis: whose, about whom, flagged by whom and when."""

    analysis_id: uuid.UUID
    student_id: uuid.UUID
    student_name: str
    grade_level: str
    teacher_name: str
    teacher_email: str
    status: str
    created_at: datetime
    flagged_at: datetime

    @property
    def reference(self) -> str:
        """The short id users type in `reviewed ID` (first 8 hex digits)."""
        return str(self.analysis_id)[:8]


def _author(column: SQLColumnExpression[str]) -> ScalarSelect[str]:
    return select(column).where(User.id == Analysis.teacher_id).scalar_subquery()


def _flagged(actor: Actor, *where: ColumnElement[bool], only_flagged: bool) -> AnySelect:
    statement = select(
        Analysis.id,
        Analysis.student_id,
        Student.first_name + " " + Student.last_name,
        Student.grade_level,
        # The author by key, per row: joined, the planner hashed or looped over every user of
        # every school (Year 3: 7,800 users, 2.3 million join-filter comparisons).
        _author(User.first_name + " " + User.last_name),
        _author(User.email),
        Analysis.status,
        Analysis.created_at,
        func.coalesce(AnalysisFlag.flagged_at, Analysis.updated_at).label("flagged_at"),
    )
    if only_flagged:
        # The rollup's row is the flag: the newest flags first, then their analyses and
        # students by key. A principal's are read by the school's key (0017) from
        # (school_id, flagged_at DESC), so the list costs the school's 50 rows, not the
        # system's flags.
        statement = (
            statement.select_from(AnalysisFlag)
            .join(Analysis, Analysis.id == AnalysisFlag.analysis_id)
            .join(Student, Student.id == Analysis.student_id)
        )
        if actor.role is not UserRole.ADMIN:
            statement = statement.where(AnalysisFlag.school_id == actor.school_id)
    else:
        # An analysis that is not flagged has no row in the rollup (outer join).
        statement = (
            statement.select_from(Student)
            .join(Analysis, Analysis.student_id == Student.id)
            .outerjoin(AnalysisFlag, AnalysisFlag.analysis_id == Analysis.id)
        )
    return (
        # Same rows as policy.visible_analyses, written on the join (see core/summary_queries.py).
        statement.where(Analysis.deleted_at.is_(None), visible_students(actor), *where).order_by(
            AnalysisFlag.flagged_at.desc().nulls_last(), Analysis.id
        )
    )


def _view(row: Any) -> FlaggedView:
    return FlaggedView(row[0], row[1], row[2], row[3], row[4], row[5], str(row[6]), row[7], row[8])


@service(settings=planning.per_school)
async def list_flagged(
    *, uow: UnitOfWork, actor: Actor, limit: int = MAX_LIST
) -> list[FlaggedView]:
    """Flagged analyses the actor may see (a principal's school, an admin's all), newest first."""
    require_role(actor, UserRole.PRINCIPAL, UserRole.ADMIN, resource="Analysis")
    statement = _flagged(actor, Analysis.flagged_for_review.is_(True), only_flagged=True).limit(
        max(1, min(limit, MAX_LIST))
    )
    found = [_view(row) for row in (await uow.session.execute(statement)).all()]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Analysis",
        student_ids=sorted({row.student_id for row in found}, key=str),
        operation="flagged",
        analysisIds=[str(row.analysis_id) for row in found],
    )
    await uow.commit()
    return found


def _reference(text: str) -> str:
    value = text.strip().lower()
    if len(value) < MIN_REFERENCE or not set(value) <= HEX:
        raise InvalidInput(
            "id", f"“{text.strip()}” is not an analysis id (at least {MIN_REFERENCE} hex digits)"
        )
    return value


@service
async def mark_reviewed(*, uow: UnitOfWork, actor: Actor, reference: str) -> FlaggedView:
    """Clear the flag of a visible analysis given its id or the id's first digits (audited)."""
    require_role(actor, UserRole.PRINCIPAL, UserRole.ADMIN, resource="Analysis")
    prefix = _reference(reference)
    try:
        match: ColumnElement[bool] = Analysis.id == uuid.UUID(prefix)
    except ValueError:
        match = cast(Analysis.id, Text).like(prefix + "%")
    rows = (await uow.session.execute(_flagged(actor, match, only_flagged=False).limit(2))).all()
    if not rows:
        raise NotFound("Analysis", reference.strip())
    if len(rows) > 1:
        raise InvalidInput("id", f"several analyses start with “{prefix}”; write more of the id")
    view = _view(rows[0])
    changed = await uow.session.execute(
        update(Analysis)
        .where(Analysis.id == view.analysis_id, Analysis.flagged_for_review.is_(True))
        .values(flagged_for_review=False)
        .returning(Analysis.id)
    )
    if changed.scalar_one_or_none() is None:
        raise Conflict(f"analysis {view.reference} is not flagged for review")
    record(
        uow,
        actor,
        AuditAction.UPDATE,
        "Analysis",
        view.analysis_id,
        student_ids=[view.student_id],
        changed_fields=["flagged_for_review"],
        reviewed=True,
    )
    await uow.commit()
    return view
