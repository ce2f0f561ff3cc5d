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
    true,
)

from core.actor import Actor
from core.analysis_records import CANCELLED
from core.db import AnySelect
from core.models import Analysis, AnalysisTheme, Class, ClassEnrollment, Student, User
from core.ordering import hebrew_order, name_order
from core.periods import Period
from core.policy import visible_classes, visible_students
from core.scopes import ResolvedScope
from core.sections import LIST_SECTIONS, SECTIONS
from core.summary_queries import COMPLETED, analyses, analysis_filter, in_period, school_key
from core.themes import (
    described,
    edited,
    effective_confidence,
    effective_list,
    effective_text,
    not_a_theme,
)

TOP_THEMES = 5
TREND_POINTS = 12


def _covered(where: list[ColumnElement[bool]]) -> AnySelect:
    # The covered students' keys, found once from the analyses the summary counts (a CTE both
    # coverage sections share, hashed): asked per student instead, the school's 740 students
    # and 1,450 enrollments each probed the analyses' student index (Year 3: 7 of the school
    # summary's 37 ms).
    found = analyses(Analysis.student_id).where(*where, COMPLETED).correlate(None).cte("covered")
    return select(found.c.student_id)


def statements(
    actor: Actor, resolved: ResolvedScope, period: Period | None, keys: tuple[str, ...]
) -> dict[str, AnySelect]:
    """Every section's statement, by name (`keys`: themes.placeholder_keys)."""
    where = analysis_filter(actor, resolved, period)
    covered = _covered(where)
    active_students = and_(visible_students(actor), Student.is_active.is_(True))
    found: dict[str, AnySelect] = {
        "totals": analyses(
            Analysis.status,
            func.count(),
            func.count().filter(Analysis.flagged_for_review.is_(True)),
            func.coalesce(func.sum(Analysis.total_tokens), 0),
            func.coalesce(func.sum(Analysis.estimated_cost), 0.0),
            func.avg(effective_confidence()),
            # Dropped by their teacher, told apart from the ones the model or a timeout failed.
            func.count().filter(Analysis.failure_reason == CANCELLED),
        )
        .where(*where)
        .group_by(Analysis.status),
        "by_grade": select(
            Student.grade_level, func.count(), func.count().filter(Student.id.in_(covered))
        )
        .where(active_students, resolved.roster)
        .group_by(Student.grade_level)
        .order_by(func.length(Student.grade_level), Student.grade_level),
        "by_class": _by_class(actor, resolved, active_students, covered),
        "teachers": _teachers(where),
        "themes": _themes(where, _theme_range(actor, resolved, period), keys),
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


def _teachers(where: list[ColumnElement[bool]]) -> AnySelect:
    # Counted by teacher id first, then each counted teacher read by key: joined before
    # counting, the planner hashed every school's users (Year 3: 7,800) for a school's 25.
    counted = (
        analyses(
            Analysis.teacher_id,
            func.count().label("total"),
            func.count().filter(COMPLETED).label("completed"),
        )
        .where(*where)
        .group_by(Analysis.teacher_id)
        .subquery("counted")
    )
    return (
        select(User.first_name, User.last_name, User.email, counted.c.total, counted.c.completed)
        .join(counted, counted.c.teacher_id == User.id)
        .order_by(counted.c.total.desc(), *hebrew_order(User))
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


def _theme_range(
    actor: Actor, resolved: ResolvedScope, period: Period | None
) -> list[ColumnElement[bool]] | None:
    """The counted analyses' school and period, said of their theme items (0024), or None."""
    school = school_key(actor, resolved)
    if school is None or resolved.scope.kind != "school":
        # Part of a school: its analyses' items are fewer than the school's range holds (a
        # grade's are a twelfth), and the keyed scopes are planned once for every value
        # (generic), blind to a class's 30 analyses against a school's 2,000: such a plan that
        # read the school's range once per analysis took 540 ms (Year 3) where probes take 1.
        return None
    return [AnalysisTheme.school_id == school, *in_period(period, AnalysisTheme.created_at)]


def _themes(
    where: list[ColumnElement[bool]],
    theme_range: list[ColumnElement[bool]] | None,
    keys: tuple[str, ...],
) -> AnySelect:
    # Keys were folded when each analysis was written (analysis_themes, 0012): the summary
    # groups the items of the analyses it counts and folds nothing.
    if theme_range is None:
        # A few analyses, or analyses across schools: their items are read per analysis by its
        # key (OFFSET 0 keeps the planner from flattening the LATERAL into a join it may answer
        # by scanning every school's items). The analyses are the counted ones first (OFFSET 0
        # again): planned generic, a class's items were read for every analysis of its school
        # in the period and its enrollments asked only afterwards (MVP bench: 281 probes for
        # 22 analyses, 2.4 of a class summary's 5 ms under row-level security).
        counting = (
            analyses(Analysis.id.label("analysis_id"))
            .where(*where, COMPLETED)
            .offset(0)
            .subquery("counting")
        )
        item: Any = (
            select(AnalysisTheme.section, AnalysisTheme.key, AnalysisTheme.phrase)
            .where(AnalysisTheme.analysis_id == counting.c.analysis_id)
            .offset(0)
            .lateral("item")
        )
        items: Any = (
            select(counting.c.analysis_id, item)
            .select_from(counting)
            .join(item, true())
            .subquery("items")
        )
    else:
        # Of one school, the items carry the school and the analysis's date (0024): the
        # period's items are one range of their index, read without the table, and kept when
        # their analysis is one the summary counts (a hashed semi-join). Joined instead, the
        # planner guessed a handful of analyses (it cannot know that a school's analyses are
        # of its students) and probed one table by the other's keys (Year 3: 1,979 probes,
        # 30 ms against 17 ms); OFFSET 0 keeps the range whole for the same reason.
        ranged = (
            select(
                AnalysisTheme.analysis_id,
                AnalysisTheme.section,
                AnalysisTheme.key,
                AnalysisTheme.phrase,
            )
            .where(*theme_range)
            .offset(0)
            .subquery("ranged")
        )
        counted = analyses(Analysis.id).where(*where, COMPLETED)
        items = select(ranged).where(ranged.c.analysis_id.in_(counted)).subquery("items")
    count = func.count(items.c.analysis_id.distinct())
    # Grouped and sorted byte by byte: the same groups (equal text is equal bytes), the same
    # order as the C.UTF-8 databases here (code points), without the locale's comparisons
    # (Year 3: the school's 5,655 items sorted and grouped in 6.5 ms instead of 8.2), and the
    # same tie-breaks on a database created with another locale.
    section, key = items.c.section.collate("C"), items.c.key.collate("C")
    ranked = (
        select(
            section.label("section"),
            key.label("key"),
            func.mode().within_group(func.btrim(items.c.phrase).collate("C")).label("phrase"),
            count.label("n"),
            # Blank and placeholder keys rank last and are dropped outside the window.
            func.row_number()
            .over(partition_by=section, order_by=(not_a_theme(key, keys), count.desc(), key))
            .label("rank"),
        )
        .group_by(section, key)
        .subquery("ranked")
    )
    return (
        select(ranked.c.section, ranked.c.phrase, ranked.c.n)
        .where(ranked.c.rank <= TOP_THEMES, ~not_a_theme(ranked.c.key, keys))
        .order_by(ranked.c.section, ranked.c.rank)
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
