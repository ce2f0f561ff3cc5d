"""The SQL behind summaries: one aggregate query per section, over the visible analyses.

Every section runs inside the database (GROUP BY, FILTER, window functions); nothing loads
analyses one by one. `combined` sends all of a summary's sections as one statement. Which
analyses count is core/summary_queries.py's `analysis_filter`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Uuid,
    and_,
    any_,
    cast,
    func,
    literal_column,
    select,
)

from core.actor import Actor
from core.analysis_records import CANCELLED
from core.db import AnySelect
from core.models import (
    Analysis,
    AnalysisStatus,
    Class,
    ClassEnrollment,
    Student,
    User,
)
from core.ordering import hebrew_order, name_order
from core.periods import Period
from core.policy import visible_classes, visible_students
from core.scopes import ResolvedScope
from core.sections import LIST_SECTIONS, SECTIONS
from core.summary_queries import COMPLETED, analyses, analysis_filter
from core.summary_themes import theme_range, themes
from core.themes import (
    described,
    edited,
    effective_confidence,
    effective_list,
    effective_text,
)

TREND_POINTS = 12


def _in_scope(where: list[ColumnElement[bool]]) -> Any:
    # The analyses the summary counts, read once (a CTE every section shares): each section
    # joined the analyses to their students itself, four times, and under row-level security
    # each join carried both tables' policies, planned again per statement (MVP: a grade's
    # summary planned 14 policy checks; 0.6 of its 7 ms went to row-level security).
    return (
        analyses(
            Analysis.id,
            Analysis.student_id,
            Analysis.teacher_id,
            Analysis.status,
            Analysis.flagged_for_review,
            Analysis.total_tokens,
            Analysis.estimated_cost,
            effective_confidence().label("confidence"),
            Analysis.failure_reason,
        )
        .where(*where)
        .correlate(None)
        .cte("in_scope")
    )


def statements(
    actor: Actor, resolved: ResolvedScope, period: Period | None, keys: tuple[str, ...]
) -> dict[str, AnySelect]:
    """Every section's statement, by name (`keys`: themes.placeholder_keys)."""
    where = analysis_filter(actor, resolved, period)
    in_scope = _in_scope(where)
    completed = in_scope.c.status == AnalysisStatus.COMPLETED
    # The covered students' keys: a hashed set both coverage sections ask (asked per student
    # instead, the school's 740 students and 1,450 enrollments each probed the analyses'
    # student index: Year 3, 7 of the school summary's 37 ms).
    covered = select(in_scope.c.student_id).where(completed)
    active_students = and_(visible_students(actor), Student.is_active.is_(True))
    found: dict[str, AnySelect] = {
        "totals": select(
            in_scope.c.status,
            func.count(),
            func.count().filter(in_scope.c.flagged_for_review.is_(True)),
            func.coalesce(func.sum(in_scope.c.total_tokens), 0),
            func.coalesce(func.sum(in_scope.c.estimated_cost), 0.0),
            func.avg(in_scope.c.confidence),
            # Dropped by their teacher, told apart from the ones the model or a timeout failed.
            func.count().filter(in_scope.c.failure_reason == CANCELLED),
        ).group_by(in_scope.c.status),
        "by_grade": select(
            Student.grade_level, func.count(), func.count().filter(Student.id.in_(covered))
        )
        .where(active_students, resolved.roster)
        .group_by(Student.grade_level)
        .order_by(func.length(Student.grade_level), Student.grade_level),
        "by_class": _by_class(actor, resolved, active_students, covered),
        "teachers": _teachers(in_scope),
        "themes": themes(in_scope, theme_range(actor, resolved, period), keys),
    }
    if resolved.student_id is not None:
        found["latest"] = _latest(where)
        found["trend"] = _trend(where, keys)
    return found


def combined(sections: dict[str, AnySelect]) -> AnySelect:
    """The sections as one statement: one row, each section's rows a JSON array of arrays.

    One round trip and one plan instead of one per section: a student's sections each read a
    handful of rows, so the round trips, not the rows, were most of the summary's time.
    """
    columns = []
    for name, statement in sections.items():
        rows = statement.subquery(name)
        # An aggregate straight over a sorted subquery (no join, no grouping above it) takes
        # the rows in the subquery's order, so each section keeps its ORDER BY.
        listed = func.json_agg(func.json_build_array(*rows.c))
        empty = literal_column("'[]'::json", JSON)
        columns.append(
            select(func.coalesce(listed, empty, type_=JSON)).scalar_subquery().label(name)
        )
    return select(*columns)


def _teachers(in_scope: Any) -> AnySelect:
    # Counted by teacher id first, then each counted teacher read by key: joined before
    # counting, the planner hashed every school's users (Year 3: 7,800) for a school's 25.
    by_teacher = (
        select(
            in_scope.c.teacher_id,
            func.count().label("total"),
            func.count().filter(in_scope.c.status == AnalysisStatus.COMPLETED).label("completed"),
        )
        .group_by(in_scope.c.teacher_id)
        .subquery("by_teacher")
    )
    return (
        select(
            User.first_name, User.last_name, User.email, by_teacher.c.total, by_teacher.c.completed
        )
        .join(by_teacher, by_teacher.c.teacher_id == User.id)
        .order_by(by_teacher.c.total.desc(), *hebrew_order(User))
    )


def _by_class(
    actor: Actor,
    resolved: ResolvedScope,
    active_students: ColumnElement[bool],
    covered: AnySelect,
) -> AnySelect:
    # The scope's classes' keys as one array (an InitPlan), their live enrollments read by
    # those keys and counted per class, and only then each counted class read by key. Asked
    # per class as a LATERAL, the planner merged each class's 30 enrollments against all of
    # the school's students (Year 3: 42,000 rows read); joined without the array, a login
    # bypassing RLS read every school's enrollments.
    scope_classes = and_(visible_classes(actor), Class.is_active.is_(True), resolved.classes)
    keys = select(func.array_agg(Class.id)).where(scope_classes).correlate(None).scalar_subquery()
    # Whether a member is an active, visible student is asked of a hashed set of the scope's
    # students (read once), not by joining each enrollment to its student: under row-level
    # security the enrollments' estimate took the policy's school key as one more filter (3
    # rows for 1,471), and the join became 1,471 student probes plus 1,449 class probes
    # (Year 1: the row-level-security summary 13 % slower than the bypassed one's hash join).
    # One row per member: a student is enrolled in a class once (unique), so count(*) needs
    # no DISTINCT, whose per-class sorts were most of the statement (50 classes: 12 of 14 ms).
    members = select(Student.id).where(active_students).correlate(None).cte("members")
    member = ClassEnrollment.student_id.in_(select(members.c.id))
    counted = (
        select(
            ClassEnrollment.class_id,
            func.count().filter(member).label("members"),
            func.count().filter(member, ClassEnrollment.student_id.in_(covered)).label("covered"),
        )
        .where(
            ClassEnrollment.class_id == any_(cast(keys, ARRAY(Uuid))),
            ClassEnrollment.dropped_at.is_(None),
        )
        .group_by(ClassEnrollment.class_id)
        .subquery("counted")
    )
    return (
        select(Class.name, counted.c.members, counted.c.covered)
        .join(counted, counted.c.class_id == Class.id)
        # A class with no active member has no row.
        .where(scope_classes, counted.c.members > 0)
        .order_by(Class.grade_level, name_order(Class), Class.id)
    )


def _latest(where: list[ColumnElement[bool]]) -> AnySelect:
    return (
        analyses(
            Analysis.id,
            Analysis.created_at,
            User.first_name + " " + User.last_name,
            *[effective_list(section) for section in LIST_SECTIONS],
            effective_text("learningStyle"),
            effective_confidence(),
            *[edited(s) for s in SECTIONS],
        )
        .join(User, User.id == Analysis.teacher_id)
        .where(*where, COMPLETED)
        .order_by(Analysis.created_at.desc(), Analysis.id)
        .limit(1)
    )


def _trend(where: list[ColumnElement[bool]], keys: tuple[str, ...]) -> AnySelect:
    newest = (
        analyses(
            Analysis.id,
            Analysis.created_at,
            (User.first_name + " " + User.last_name).label("teacher"),
            effective_confidence().label("confidence"),
            described("strengths", keys).label("strengths"),
            described("weaknesses", keys).label("weaknesses"),
        )
        .join(User, User.id == Analysis.teacher_id)
        .where(*where, COMPLETED)
        .order_by(Analysis.created_at.desc(), Analysis.id)
        .limit(TREND_POINTS)
        .subquery("newest")
    )
    return select(newest).order_by(newest.c.created_at, newest.c.id)
