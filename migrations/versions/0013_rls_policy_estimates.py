"""Row-level security the planner can estimate: one CASE on the actor's role per policy.

0007's policies were ORs of role tests (`role IN ('ADMIN', 'SYSTEM') OR (role = 'PRINCIPAL'
AND ...) OR ...`). The planner cannot know the role (an InitPlan), so it multiplied small
default selectivities: a school's 750 students were estimated at 8 rows and its analyses at a
few dozen, and it chose nested loops comparing every pair (MVP: a plain count of one school's
analyses of the year took 403 ms under RLS and 10 ms as the owner, 4.5 million join-filter
comparisons). A CASE on the role is one boolean expression the planner estimates at one half,
so plans stay those of the query without RLS; only the branch of the actor's role is evaluated
per row, as the ORs' InitPlans did. Each branch says what 0007 (and 0009, 0012 for the
rollups; 0011 for enrollments) said for that role; the downgrade puts their ORs back.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE = "(SELECT public.ge_actor_role())"
_SCHOOL = "(SELECT public.ge_actor_school())"
_ME = "(SELECT public.ge_actor_id())"
_MINE = "((SELECT public.ge_teacher_student_ids())::uuid[])"


def _by_role(*, principal: str, teacher: str) -> str:
    """Admins and the system see every row; a principal and a teacher what their branch says."""
    return (
        f"CASE {_ROLE} WHEN 'ADMIN' THEN true WHEN 'SYSTEM' THEN true "
        f"WHEN 'PRINCIPAL' THEN {principal} WHEN 'TEACHER' THEN {teacher} ELSE false END"
    )


def _with_its(parent: str) -> str:
    """Visible with the row it belongs to, whose own policy applies inside."""
    return _by_role(principal=parent, teacher=parent)


_OWN_SCHOOL = f"school_id = {_SCHOOL}"
_CONVERSATION = "EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_conversations.analysis_id)"
_FLAG = "EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_flags.analysis_id)"

# table: (policy, whether it checks writes too)
POLICIES = {
    "students": (
        _by_role(principal=_OWN_SCHOOL, teacher=f"{_OWN_SCHOOL} AND id = ANY {_MINE}"),
        True,
    ),
    "classes": (_by_role(principal=_OWN_SCHOOL, teacher=_OWN_SCHOOL), True),
    # 0011's rule: a teacher's few enrollment rows each checked against their own class by
    # primary key, a principal's against the school's classes in one semi-join.
    "class_enrollments": (
        _by_role(
            principal="class_enrollments.class_id IN "
            f"(SELECT c.id FROM classes c WHERE c.school_id = {_SCHOOL})",
            teacher="EXISTS (SELECT 1 FROM classes c WHERE c.id = class_enrollments.class_id)",
        ),
        True,
    ),
    "analyses": (
        _by_role(
            principal="analyses.student_id IN "
            f"(SELECT s.id FROM students s WHERE s.school_id = {_SCHOOL})",
            teacher=f"teacher_id = {_ME} OR student_id = ANY {_MINE}",
        ),
        True,
    ),
    "analysis_conversations": (_with_its(_CONVERSATION), True),
    "analysis_flags": (_with_its(_FLAG), False),
    "analysis_themes": (
        _with_its("analysis_themes.student_id IN (SELECT s.id FROM students s)"),
        False,
    ),
}

# What 0007, 0009, 0011 and 0012 created, for the downgrade.
_ANY = "(SELECT public.ge_actor_role()) IN ('ADMIN', 'SYSTEM')"
_PRINCIPAL = "(SELECT public.ge_actor_role()) = 'PRINCIPAL'"
_TEACHER = "(SELECT public.ge_actor_role()) = 'TEACHER'"
EARLIER = {
    "students": f"{_ANY} OR ({_PRINCIPAL} AND school_id = {_SCHOOL}) OR ({_TEACHER} AND "
    f"school_id = {_SCHOOL} AND id = ANY ((SELECT public.ge_teacher_student_ids())::uuid[]))",
    "classes": f"{_ANY} OR ({_PRINCIPAL} AND school_id = {_SCHOOL}) OR "
    f"({_TEACHER} AND school_id = {_SCHOOL})",
    "class_enrollments": f"{_ANY} OR ({_TEACHER} AND EXISTS "
    "(SELECT 1 FROM classes c WHERE c.id = class_enrollments.class_id)) OR "
    f"(NOT {_TEACHER} AND class_enrollments.class_id IN "
    f"(SELECT c.id FROM classes c WHERE c.school_id = {_SCHOOL}))",
    "analyses": f"{_ANY} OR ({_TEACHER} AND (teacher_id = {_ME} OR "
    "student_id = ANY ((SELECT public.ge_teacher_student_ids())::uuid[]))) OR "
    f"({_PRINCIPAL} AND analyses.student_id IN "
    f"(SELECT s.id FROM students s WHERE s.school_id = {_SCHOOL}))",
    "analysis_conversations": f"{_ANY} OR {_CONVERSATION}",
    "analysis_flags": f"{_ANY} OR {_FLAG}",
    "analysis_themes": f"{_ANY} OR analysis_themes.student_id IN (SELECT s.id FROM students s)",
}


def _replace(table: str, condition: str, checks_writes: bool) -> None:
    op.execute(f"DROP POLICY {table}_actor ON {table}")
    check = f" WITH CHECK ({condition})" if checks_writes else ""
    op.execute(
        f"CREATE POLICY {table}_actor ON {table} TO {APP_ROLE} USING ({condition}){check}"
    )


def upgrade() -> None:
    for table, (condition, checks_writes) in POLICIES.items():
        _replace(table, condition, checks_writes)


def downgrade() -> None:
    for table, (_condition, checks_writes) in POLICIES.items():
        _replace(table, EARLIER[table], checks_writes)
