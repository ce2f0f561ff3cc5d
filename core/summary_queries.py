"""Which analyses a summary or an export counts: visible, in scope and period, not deleted.

The condition every summary section (core/summary_sections.py) and export reads its analyses by,
and the pieces of it the sections share.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, ColumnElement, DateTime, Uuid, any_, bindparam, cast, func, select

from core.actor import Actor
from core.db import AnySelect
from core.models import Analysis, AnalysisStatus, Student, UserRole
from core.periods import Period
from core.policy import visible_students
from core.scopes import ResolvedScope

COMPLETED = Analysis.status == AnalysisStatus.COMPLETED


def in_period(period: Period | None, *columns: Any) -> list[ColumnElement[bool]]:
    """`created_at` of each of `columns` (the analysis's, or its copy) within the period."""
    if period is None:
        return []
    # Named, like the scope's and the actor's values: core/scoped_statements compiles a
    # statement once per shape and runs it with each call's values.
    start = bindparam("period_start", period.start, type_=DateTime(timezone=True))
    end = bindparam("period_end", period.end, type_=DateTime(timezone=True))
    return [condition for c in columns for condition in (c >= start, c < end)]


# The services that run these statements plan per school, or by keys for a student, a class or
# a teacher: set with the actor check, one round trip (core/planning.py says why).


def school_key(actor: Actor, resolved: ResolvedScope) -> Any:
    """The one school whose analyses a summary counts, or None (an admin across schools)."""
    school: Any = actor.school_id  # a value, or placeholder_actor's named parameter
    if actor.role is UserRole.ADMIN:
        school = resolved.school_id
        if school is not None:
            school = bindparam("scope_analyses_school_id", school, type_=Uuid)
    return school


def analysis_filter(
    actor: Actor, resolved: ResolvedScope, period: Period | None
) -> list[ColumnElement[bool]]:
    """WHERE for analyses joined to their student: visible, in scope and period, not deleted.

    Equal to `policy.visible_analyses` once Student is joined; written on the join because that
    condition's `IN (SELECT students.id ...)` would be correlated to the joined table.
    """
    common = [
        Analysis.deleted_at.is_(None),
        visible_students(actor),
        resolved.analyses,
        *in_period(period, Analysis.created_at),
    ]
    school = school_key(actor, resolved)
    if school is not None:
        # The school's analyses of the period by their school key (0017), then their students
        # by a hashed join: the same condition as the principal's row-level rule, so the
        # planner merges the two (a one-time check of the actor's school), and it costs the
        # school's rows, not the system's.
        return [Analysis.school_id == school, *common]
    # Across schools (an admin's district or grade): the candidate students' keys as one array
    # (an InitPlan), and the analyses read by student from their index.
    keys = (
        select(func.array_agg(Student.id))
        .where(visible_students(actor), resolved.analysed)
        .correlate(None)
        .scalar_subquery()
    )
    # The cast makes it `= ANY (array)`; `= ANY (SELECT ...)` would compare each row.
    return [Analysis.student_id == any_(cast(keys, ARRAY(Uuid))), *common]


def analyses(*columns: Any) -> AnySelect:
    """SELECT `columns` from the analyses joined to their student."""
    return select(*columns).select_from(Analysis).join(Student, Student.id == Analysis.student_id)
