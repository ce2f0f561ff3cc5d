"""The school's key on analyses, their flags and their themes: a principal's rule asks no join.

A principal's row-level rule on `analyses`, `analysis_flags` and `analysis_themes` (0016) asked
per row whether the row's student is of the actor's school (EXISTS on `students`). At Year 3 a
school summary checks about 10,000 analyses and 60,000 theme items that way: its statements
took 117 ms under RLS against 77 ms as the owner, and `flagged` started from the school's
students to reach their flags. Each of these rows now carries its student's school
(`school_id`), written by the database, never by the caller:
- `analyses.school_id`: a BEFORE trigger sets it from the student on INSERT and whenever
  `student_id` changes, whatever the statement gave (a caller cannot place an analysis in
  another school); `analysis_flags` and `analysis_themes` take it from the analysis in the
  triggers that already write them (0009, 0012);
- a student moved to another school (no service does; an operator might) takes its analyses,
  flags and themes with it, in the same statement's transaction.
The principal's rule is then `school_id = ge_actor_school()` on all three, an index condition;
the themes' teacher rule (also "of my school") likewise. Indexes: analyses by school and date
(not deleted), flags by school and flag time, themes by school.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import APP_ROLE

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEACHER, PRINCIPAL = "growth_engine_teacher", "growth_engine_principal"
ADMIN = "growth_engine_admin"
_SCHOOL = "(SELECT public.ge_actor_school())"
_OF_SCHOOL = f"school_id = {_SCHOOL}"


def _of_school_student(table: str) -> str:
    # 0016's rule, restored by the downgrade.
    return (
        f"EXISTS (SELECT 1 FROM public.students s WHERE s.id = {table}.student_id "
        f"AND s.school_id = {_SCHOOL})"
    )


# (table, role, checks writes too): the rules this revision replaces.
RULES = (
    ("analyses", PRINCIPAL, True),
    ("analysis_flags", PRINCIPAL, False),
    ("analysis_themes", PRINCIPAL, False),
    ("analysis_themes", TEACHER, False),
)
TABLES = ("analyses", "analysis_flags", "analysis_themes")

ANALYSIS_SCHOOL_SQL = """
CREATE FUNCTION public.ge_analysis_school() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- The definer reads the student whatever the writer may see; the row's own policy (its
  -- WITH CHECK, evaluated after this trigger) still decides whether the writer may write it.
  NEW.school_id := (SELECT s.school_id FROM public.students s WHERE s.id = NEW.student_id);
  RETURN NEW;
END
$$
"""
STUDENT_MOVED_SQL = """
CREATE FUNCTION public.ge_student_school_moved() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE public.analyses SET school_id = NEW.school_id
   WHERE student_id = NEW.id AND school_id IS DISTINCT FROM NEW.school_id;
  UPDATE public.analysis_flags SET school_id = NEW.school_id
   WHERE student_id = NEW.id AND school_id IS DISTINCT FROM NEW.school_id;
  UPDATE public.analysis_themes SET school_id = NEW.school_id
   WHERE student_id = NEW.id AND school_id IS DISTINCT FROM NEW.school_id;
  RETURN NULL;
END
$$
"""

# 0009's flag sync, carrying the analysis's school.
FLAGS_SYNC = """
CREATE OR REPLACE FUNCTION public.ge_analysis_flags_sync() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.flagged_for_review AND NEW.deleted_at IS NULL THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO public.analysis_flags (analysis_id, student_id, flagged_at{col})
      VALUES (NEW.id, NEW.student_id, NEW.updated_at{val});
    ELSIF NOT OLD.flagged_for_review OR OLD.deleted_at IS NOT NULL THEN
      INSERT INTO public.analysis_flags (analysis_id, student_id, flagged_at{col})
      VALUES (NEW.id, NEW.student_id, now(){val})
      ON CONFLICT (analysis_id) DO UPDATE SET student_id = EXCLUDED.student_id,
                                              flagged_at = EXCLUDED.flagged_at{set};
    ELSIF NEW.student_id IS DISTINCT FROM OLD.student_id THEN
      UPDATE public.analysis_flags SET student_id = NEW.student_id{set_new}
       WHERE analysis_id = NEW.id;
    END IF;
  ELSIF TG_OP = 'UPDATE' AND OLD.flagged_for_review AND OLD.deleted_at IS NULL THEN
    DELETE FROM public.analysis_flags WHERE analysis_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
"""
FLAGS_SYNC_WITH_SCHOOL = FLAGS_SYNC.format(
    col=", school_id",
    val=", NEW.school_id",
    set=",\n                                              school_id = EXCLUDED.school_id",
    set_new=", school_id = NEW.school_id",
)
FLAGS_SYNC_BEFORE = FLAGS_SYNC.format(col="", val="", set="", set_new="")

# 0012's theme sync and backfill, carrying the analysis's school (0012's items, one more column).
THEME_ITEMS = """
SELECT {a}.id, s.section, e.position::int, {a}.student_id, public.ge_theme_key(e.phrase),
       e.phrase{school}
FROM {source}(VALUES ('strengths'), ('weaknesses')) AS s (section)
CROSS JOIN LATERAL (
  SELECT coalesce({a}.teacher_edits -> s.section, {a}.results -> s.section) AS value
) AS v
CROSS JOIN LATERAL jsonb_array_elements_text(
  CASE WHEN jsonb_typeof(v.value) = 'array' THEN v.value ELSE '[]'::jsonb END
) WITH ORDINALITY AS e (phrase, position)
"""
THEME_COLUMNS = "analysis_id, section, position, student_id, key, phrase"
THEMES_SYNC = """
CREATE OR REPLACE FUNCTION public.ge_analysis_themes_sync() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM public.analysis_themes WHERE analysis_id = OLD.id;
  END IF;
  INSERT INTO public.analysis_themes ({columns})
  {items};
  RETURN NULL;
END
$$
"""
THEMES_SYNC_WITH_SCHOOL = THEMES_SYNC.format(
    columns=THEME_COLUMNS + ", school_id",
    items=THEME_ITEMS.format(a="NEW", source="", school=", NEW.school_id"),
)
THEMES_SYNC_BEFORE = THEMES_SYNC.format(
    columns=THEME_COLUMNS, items=THEME_ITEMS.format(a="NEW", source="", school="")
)


def _short(role: str) -> str:
    return role.removeprefix("growth_engine_")


def _replace_rules(rule_of: dict[str, str]) -> None:
    for table, role, checks_writes in RULES:
        rule = rule_of[table]
        op.execute(f"DROP POLICY {table}_{_short(role)} ON {table}")
        check = f" WITH CHECK ({rule})" if checks_writes else ""
        op.execute(
            f"CREATE POLICY {table}_{_short(role)} ON {table} TO {role} USING ({rule}){check}"
        )


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("school_id", sa.UUID(), nullable=True))
    # The backfill rewrites every analysis: its `updated_at` must not move (the row did not
    # change for anyone reading it), and the column-specific sync triggers do not fire.
    op.execute("ALTER TABLE analyses DISABLE TRIGGER analyses_set_updated_at")
    op.execute(
        "UPDATE analyses a SET school_id = s.school_id FROM students s WHERE s.id = a.student_id"
    )
    op.execute("ALTER TABLE analyses ENABLE TRIGGER analyses_set_updated_at")
    for table in TABLES[1:]:
        op.execute(
            f"UPDATE {table} t SET school_id = a.school_id FROM analyses a "
            "WHERE a.id = t.analysis_id"
        )
    # No foreign key of its own: the value is always the student's, whose key to schools holds
    # (and schools are never deleted), so a second check on every insert would prove nothing.
    for table in TABLES:
        op.alter_column(table, "school_id", nullable=False)
    op.create_index(
        "ix_analyses_school_created",
        "analyses",
        ["school_id", "created_at"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_analysis_flags_school_flagged",
        "analysis_flags",
        ["school_id", sa.text("flagged_at DESC")],
    )
    op.create_index("ix_analysis_themes_school", "analysis_themes", ["school_id"])
    op.execute(ANALYSIS_SCHOOL_SQL)
    op.execute(
        "CREATE TRIGGER analyses_school BEFORE INSERT OR UPDATE OF student_id, school_id "
        "ON analyses FOR EACH ROW EXECUTE FUNCTION public.ge_analysis_school()"
    )
    op.execute(STUDENT_MOVED_SQL)
    op.execute(
        "CREATE TRIGGER students_school_moved AFTER UPDATE OF school_id ON students "
        "FOR EACH ROW WHEN (OLD.school_id IS DISTINCT FROM NEW.school_id) "
        "EXECUTE FUNCTION public.ge_student_school_moved()"
    )
    op.execute(FLAGS_SYNC_WITH_SCHOOL)
    op.execute(THEMES_SYNC_WITH_SCHOOL)
    # `analyses` is granted column by column (private notes are not readable): the new column
    # is readable (an insert returns it) and, like every column, written only by the database.
    readers = ", ".join((APP_ROLE, TEACHER, PRINCIPAL, ADMIN))
    op.execute(f"GRANT SELECT (school_id) ON analyses TO {readers}")
    _replace_rules({table: _OF_SCHOOL for table in TABLES})
    for table in TABLES:
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    _replace_rules({table: _of_school_student(table) for table in TABLES})
    op.execute(THEMES_SYNC_BEFORE)
    op.execute(FLAGS_SYNC_BEFORE)
    op.execute("DROP TRIGGER students_school_moved ON students")
    op.execute("DROP FUNCTION public.ge_student_school_moved()")
    op.execute("DROP TRIGGER analyses_school ON analyses")
    op.execute("DROP FUNCTION public.ge_analysis_school()")
    op.drop_index("ix_analysis_themes_school", table_name="analysis_themes")
    op.drop_index("ix_analysis_flags_school_flagged", table_name="analysis_flags")
    op.drop_index("ix_analyses_school_created", table_name="analyses")
    for table in TABLES:
        op.drop_column(table, "school_id")
