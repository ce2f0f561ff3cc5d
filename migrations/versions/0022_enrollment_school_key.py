"""The class's school on each enrollment: the rules on enrollments ask no join of classes.

Row-level security's rule on `class_enrollments` (0016) asked per row whether the enrollment's
class is of the actor's school (EXISTS on `classes`). A summary reads enrollments for its
roster and its coverage by class (a school's: about 1,500 rows at Year 3), and each row paid
that probe and its planning: a principal's class summary planned in 4.1 ms under RLS against
2.6 bypassed and ran in 5.3 against 4.2. Each enrollment now carries its class's school
(`school_id`), written by the database, never by the caller, as 0017 did for analyses:
- a BEFORE trigger sets it from the class on INSERT and whenever `class_id` changes, whatever
  the statement gave (a caller cannot place an enrollment in another school);
- a class moved to another school (no service does; an operator might) takes its enrollments
  with it, in the same statement's transaction.
The principal's and the teacher's rules are then `school_id = ge_actor_school()`, the same rows
as before (a teacher's classes rule is also "of my school"), checked on writes as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEACHER, PRINCIPAL = "growth_engine_teacher", "growth_engine_principal"
_SCHOOL = "(SELECT public.ge_actor_school())"
# 0016's rules, restored by the downgrade.
BEFORE = {
    PRINCIPAL: "EXISTS (SELECT 1 FROM public.classes c "
    f"WHERE c.id = class_enrollments.class_id AND c.school_id = {_SCHOOL})",
    TEACHER: "EXISTS (SELECT 1 FROM public.classes c WHERE c.id = class_enrollments.class_id)",
}
AFTER = {PRINCIPAL: f"school_id = {_SCHOOL}", TEACHER: f"school_id = {_SCHOOL}"}

ENROLLMENT_SCHOOL_SQL = """
CREATE FUNCTION public.ge_enrollment_school() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- The definer reads the class whatever the writer may see; the row's own policy (its
  -- WITH CHECK, evaluated after this trigger) still decides whether the writer may write it.
  NEW.school_id := (SELECT c.school_id FROM public.classes c WHERE c.id = NEW.class_id);
  RETURN NEW;
END
$$
"""
CLASS_MOVED_SQL = """
CREATE FUNCTION public.ge_class_school_moved() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE public.class_enrollments SET school_id = NEW.school_id
   WHERE class_id = NEW.id AND school_id IS DISTINCT FROM NEW.school_id;
  RETURN NULL;
END
$$
"""


def _replace_rules(rules: dict[str, str]) -> None:
    for role, rule in rules.items():
        name = f"class_enrollments_{role.removeprefix('growth_engine_')}"
        op.execute(f"DROP POLICY {name} ON class_enrollments")
        op.execute(
            f"CREATE POLICY {name} ON class_enrollments TO {role} USING ({rule}) "
            f"WITH CHECK ({rule})"
        )


def upgrade() -> None:
    op.add_column("class_enrollments", sa.Column("school_id", sa.UUID(), nullable=True))
    # `updated_at` must not move: the enrollment did not change for anyone reading it.
    op.execute("ALTER TABLE class_enrollments DISABLE TRIGGER class_enrollments_set_updated_at")
    op.execute(
        "UPDATE class_enrollments e SET school_id = c.school_id FROM classes c "
        "WHERE c.id = e.class_id"
    )
    op.execute("ALTER TABLE class_enrollments ENABLE TRIGGER class_enrollments_set_updated_at")
    # No foreign key of its own: always the class's school, whose key to schools holds.
    op.alter_column("class_enrollments", "school_id", nullable=False)
    op.create_index("ix_class_enrollments_school_id", "class_enrollments", ["school_id"])
    op.execute(ENROLLMENT_SCHOOL_SQL)
    op.execute(
        "CREATE TRIGGER class_enrollments_school BEFORE INSERT OR UPDATE OF class_id, school_id "
        "ON class_enrollments FOR EACH ROW EXECUTE FUNCTION public.ge_enrollment_school()"
    )
    op.execute(CLASS_MOVED_SQL)
    op.execute(
        "CREATE TRIGGER classes_school_moved AFTER UPDATE OF school_id ON classes "
        "FOR EACH ROW WHEN (OLD.school_id IS DISTINCT FROM NEW.school_id) "
        "EXECUTE FUNCTION public.ge_class_school_moved()"
    )
    _replace_rules(AFTER)
    op.execute("ANALYZE class_enrollments")


def downgrade() -> None:
    _replace_rules(BEFORE)
    op.execute("DROP TRIGGER classes_school_moved ON classes")
    op.execute("DROP FUNCTION public.ge_class_school_moved()")
    op.execute("DROP TRIGGER class_enrollments_school ON class_enrollments")
    op.execute("DROP FUNCTION public.ge_enrollment_school()")
    op.drop_index("ix_class_enrollments_school_id", table_name="class_enrollments")
    op.drop_column("class_enrollments", "school_id")
