"""A teacher's rule on analyses asks first whether they wrote the analysis, then their set.

0016's teacher rule on `analyses` is "I wrote it, or its student is in my set" (the students of
my classes and those I analysed, `ge_teacher_student_ids()`). Written as a plain OR, the planner
turned it into two index scans ORed as bitmaps, ANDed with the query's own condition, on every
read: a teacher's history of one student (Year 3: 14 analyses) probed the index twice and
worked out the teacher's set (0.09 ms) although the teacher wrote every one of them. Row-level
security then cost the history 12 % (bench-summary, p50 4.44 against 3.95 ms as the owner).

The rule is now a CASE, which the planner leaves as a filter: the query's own condition (the
student, the analysis's id) finds the rows through its index, and the rule asks of each row
whether the teacher wrote it, and only when not, whether its student is in the set, worked out
once (an InitPlan runs when first needed). The rows it lets through, and lets be written, are
the same.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ME = "(SELECT public.ge_actor_id())"
_MINE = "((SELECT public.ge_teacher_student_ids())::uuid[])"
BEFORE = f"teacher_id = {_ME} OR student_id = ANY {_MINE}"
AFTER = f"CASE WHEN teacher_id = {_ME} THEN true ELSE student_id = ANY {_MINE} END"


def _rule(rule: str) -> None:
    op.execute("DROP POLICY analyses_teacher ON analyses")
    op.execute(
        "CREATE POLICY analyses_teacher ON analyses TO growth_engine_teacher "
        f"USING ({rule}) WITH CHECK ({rule})"
    )


def upgrade() -> None:
    _rule(AFTER)


def downgrade() -> None:
    _rule(BEFORE)
