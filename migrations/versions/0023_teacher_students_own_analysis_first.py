"""A teacher's rule on students asks first whether they analysed the student, then their set.

0016's teacher rule on `students` was "of my school and in my set", the set being the students
of the teacher's classes and those they analysed (`ge_teacher_student_ids()`: worked out by a
query over classes, enrollments and analyses, kept per session in one of 16 slots). Every
statement of an interview joins its student, so every turn asked for the set; with more active
teachers than slots on a pooled connection it was worked out again (bench-turns: 21,000 times in
57,000 transactions, 0.06 ms each, most of row-level security's cost on a turn).

The rule now asks first whether the teacher has an analysis of that student (one probe by the
student's key), and only then the set. The rows it lets through are the same: the set holds
every student the teacher analysed. PostgreSQL evaluates an OR left to right and an InitPlan
only when first needed, so a turn, whose student the teacher is analysing, never builds it.
Writes are checked by the same rule. The probe has its index, on (student_id, teacher_id).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_analyses_student_teacher"
_SCHOOL = "school_id = (SELECT public.ge_actor_school())"
_IN_SET = "id = ANY ((SELECT public.ge_teacher_student_ids())::uuid[])"
# OFFSET 0 keeps the probe per row: without it the planner may hash all the teacher's analyses
# instead (Year 3: a teacher's history read 5,900 of their analyses to show one student's 14).
_ANALYSED = (
    "EXISTS (SELECT 1 FROM public.analyses a WHERE a.student_id = students.id "
    "AND a.teacher_id = (SELECT public.ge_actor_id()) OFFSET 0)"
)
BEFORE = f"{_SCHOOL} AND {_IN_SET}"
AFTER = f"{_SCHOOL} AND ({_ANALYSED} OR {_IN_SET})"


def _rule(rule: str) -> None:
    op.execute("DROP POLICY students_teacher ON students")
    op.execute(
        f"CREATE POLICY students_teacher ON students TO growth_engine_teacher "
        f"USING ({rule}) WITH CHECK ({rule})"
    )


def upgrade() -> None:
    # One probe by (student, teacher): with only the two single-column indexes the planner
    # ANDed a bitmap of the student's analyses with one of the teacher's (Year 3: 400 entries).
    op.create_index(INDEX, "analyses", ["student_id", "teacher_id"])
    _rule(AFTER)


def downgrade() -> None:
    _rule(BEFORE)
    op.drop_index(INDEX, table_name="analyses")
