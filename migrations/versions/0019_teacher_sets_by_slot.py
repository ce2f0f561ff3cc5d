"""A connection keeps up to sixteen teachers' student sets, not one.

0015 kept the teacher's set on the connection under one key (`ge.teacher_students_key`,
user:epoch): the next teacher on that connection replaced it. `serve` lends its pooled
connections to whichever conversation wakes next, so with eight conversations on twelve
connections nearly every transaction found another teacher's set and worked its own out again
(bench-turns: `ge_teacher_student_ids_kept` 1.5-1.9 times an exchange at ~0.09 ms each, most
of what row-level security still cost an exchange).

Now the set lives in one of sixteen slots chosen by the last hex digit of the teacher's id
(`ge.teacher_students_<d>` with its key in `ge.teacher_students_key_<d>`). The key is still the
teacher's whole id and the roster's epoch, so a slot shared by two teachers only costs a
recomputation, never a wrong set, and the epoch still makes any change to enrollments, a
class's teacher or an outside analysis visible in the next transaction. Sixteen slots bound
what a connection keeps (a set is a few hundred bytes to a few KB).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_0015 = import_module("migrations.versions.0015_teacher_students_once")
_SLOT = "right(current_setting('ge.user_id', true), 1)"

KEPT = f"""
CREATE OR REPLACE FUNCTION public.ge_teacher_student_ids_kept() RETURNS uuid[]
LANGUAGE plpgsql {_0015._DEFINER} AS $$
DECLARE
  ids uuid[] := {_0015._STUDENT_IDS_QUERY};
  slot text := {_SLOT};
BEGIN
  PERFORM set_config('ge.teacher_students_' || slot, ids::text, false),
          set_config('ge.teacher_students_key_' || slot, public.ge_teacher_students_key(), false);
  RETURN ids;
END
$$"""
# Plain SQL still, so PostgreSQL inlines it: a kept set costs one comparison and one cast.
WRAPPER = f"""
CREATE OR REPLACE FUNCTION public.ge_teacher_student_ids() RETURNS uuid[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN current_setting('ge.teacher_students_key_' || {_SLOT}, true)
                   = public.ge_teacher_students_key()
              THEN current_setting('ge.teacher_students_' || {_SLOT})::uuid[]
              ELSE public.ge_teacher_student_ids_kept() END
$$"""


def upgrade() -> None:
    op.execute(KEPT)
    op.execute(WRAPPER)


def downgrade() -> None:
    op.execute(_0015.KEPT.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute(_0015.WRAPPER)
