"""RLS sub-SELECTs that name the actor's school, so an index reads the school's rows.

0013's policy on `analysis_themes` (visible with its student) built its set from `students`
under that table's own policy alone (as 0011 found for `class_enrollments` and `classes`): the
planner scanned every school's students (Year 3: 225,000) and
threw away all but the school's, once per statement. Naming the school in the sub-SELECT lets
the school indexes read the school's rows only; the inner policy still applies, so nothing
more is visible. A principal's flags are those of the school's students, one set per
statement, where 0009 looked each flag's analysis up. The downgrade restores 0013's form.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE = "(SELECT public.ge_actor_role())"
_OWN_SCHOOL = "school_id = (SELECT public.ge_actor_school())"


_FLAG = "EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_flags.analysis_id)"


def _by_role(principal: str, teacher: str) -> str:
    return (
        f"CASE {_ROLE} WHEN 'ADMIN' THEN true WHEN 'SYSTEM' THEN true "
        f"WHEN 'PRINCIPAL' THEN {principal} WHEN 'TEACHER' THEN {teacher} ELSE false END"
    )


_SCHOOL_THEMES = (
    f"analysis_themes.student_id IN (SELECT s.id FROM students s WHERE s.{_OWN_SCHOOL})"
)
_THEMES = "analysis_themes.student_id IN (SELECT s.id FROM students s)"
# table: (this revision's policy, 0013's, whether the policy checks writes too)
POLICIES = {
    "analysis_themes": (
        _by_role(_SCHOOL_THEMES, _SCHOOL_THEMES),
        _by_role(_THEMES, _THEMES),
        False,
    ),
    # A principal's analyses are their school students' (0013), and a flag carries its
    # analysis's student (0009's trigger): one set per statement instead of a lookup per flag.
    "analysis_flags": (
        _by_role(
            f"analysis_flags.student_id IN (SELECT s.id FROM students s WHERE s.{_OWN_SCHOOL})",
            _FLAG,
        ),
        _by_role(_FLAG, _FLAG),
        False,
    ),
}


def _replace(table: str, condition: str, checks_writes: bool) -> None:
    op.execute(f"DROP POLICY {table}_actor ON {table}")
    check = f" WITH CHECK ({condition})" if checks_writes else ""
    op.execute(f"CREATE POLICY {table}_actor ON {table} TO {APP_ROLE} USING ({condition}){check}")


def upgrade() -> None:
    for table, (now, _before, checks_writes) in POLICIES.items():
        _replace(table, now, checks_writes)


def downgrade() -> None:
    for table, (_now, before, checks_writes) in POLICIES.items():
        _replace(table, before, checks_writes)
