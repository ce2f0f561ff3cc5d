"""Per-school cost at Year-3 scale: the flagged-analyses rollup and the summary's indexes.

`analysis_flags` holds one row per flagged, not deleted analysis: its student and when it was
flagged. A trigger on `analyses` keeps it in the same transaction as every write (services,
imports, raw SQL), so a principal's list reads the school's students and their flags only,
instead of every flagged analysis of every school. `flagged_at` is the flag's time: now() of
the flagging transaction (equal to its audit row's `created_at`), `updated_at` for a row
inserted already flagged; the backfill takes the newest flag audit row, else `updated_at`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import APP_ROLE

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNC_SQL = """
CREATE FUNCTION public.ge_analysis_flags_sync() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.flagged_for_review AND NEW.deleted_at IS NULL THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO public.analysis_flags (analysis_id, student_id, flagged_at)
      VALUES (NEW.id, NEW.student_id, NEW.updated_at);
    ELSIF NOT OLD.flagged_for_review OR OLD.deleted_at IS NOT NULL THEN
      INSERT INTO public.analysis_flags (analysis_id, student_id, flagged_at)
      VALUES (NEW.id, NEW.student_id, now())
      ON CONFLICT (analysis_id) DO UPDATE SET student_id = EXCLUDED.student_id,
                                              flagged_at = EXCLUDED.flagged_at;
    ELSIF NEW.student_id IS DISTINCT FROM OLD.student_id THEN
      UPDATE public.analysis_flags SET student_id = NEW.student_id WHERE analysis_id = NEW.id;
    END IF;
  ELSIF TG_OP = 'UPDATE' AND OLD.flagged_for_review AND OLD.deleted_at IS NULL THEN
    DELETE FROM public.analysis_flags WHERE analysis_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$
"""

BACKFILL_SQL = """
INSERT INTO analysis_flags (analysis_id, student_id, flagged_at)
SELECT a.id, a.student_id, coalesce((
         SELECT max(l.created_at) FROM audit_logs l
         WHERE l.resource = 'Analysis' AND l.resource_id = a.id::text AND l.action = 'UPDATE'
           AND l.metadata -> 'changedFields' @> '["flagged_for_review"]'
           AND l.metadata -> 'reviewed' IS NULL), a.updated_at)
FROM analyses a
WHERE a.flagged_for_review AND a.deleted_at IS NULL
"""

# Which students have flagged analyses is student data: the application role reads the rollup
# under RLS (a flag is visible with its analysis, whose own policy applies inside, as for
# analysis_conversations in 0007) and never writes it; the trigger, SECURITY DEFINER, does.
FLAGS_POLICY = (
    "(SELECT public.ge_actor_role()) IN ('ADMIN', 'SYSTEM') OR "
    "EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_flags.analysis_id)"
)


def upgrade() -> None:
    op.create_table(
        "analysis_flags",
        sa.Column("analysis_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("analysis_flags_analysis_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("analysis_flags_student_id_fkey")
        ),
        sa.PrimaryKeyConstraint("analysis_id", name=op.f("analysis_flags_pkey")),
    )
    op.create_index(
        "ix_analysis_flags_student_flagged",
        "analysis_flags",
        ["student_id", sa.literal_column("flagged_at DESC")],
        unique=False,
    )
    op.execute(SYNC_SQL)
    op.execute(
        "CREATE TRIGGER analyses_flags_sync AFTER INSERT OR UPDATE OF flagged_for_review, "
        "deleted_at, student_id ON analyses "
        "FOR EACH ROW EXECUTE FUNCTION public.ge_analysis_flags_sync()"
    )
    op.execute(BACKFILL_SQL)
    op.execute(f"REVOKE ALL ON analysis_flags FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON analysis_flags TO {APP_ROLE}")
    op.execute("ALTER TABLE analysis_flags ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY analysis_flags_actor ON analysis_flags TO {APP_ROLE} "
        f"USING ({FLAGS_POLICY})"
    )
    # A school's live students, from the index alone: the planner otherwise scans all students
    # (seq scan of 225,000 rows at Year 3) to find one school's 750 for every summary statement.
    op.create_index(
        "ix_students_school_live",
        "students",
        ["school_id", "id"],
        unique=False,
        postgresql_include=["grade_level", "is_active"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    # The summary's coverage and totals read a school's analyses by student and period.
    op.create_index(
        "ix_analyses_student_status_created",
        "analyses",
        ["student_id", "status", "created_at"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_analyses_student_status_created", table_name="analyses")
    op.drop_index("ix_students_school_live", table_name="students")
    op.execute("DROP TRIGGER analyses_flags_sync ON analyses")
    op.execute("DROP FUNCTION public.ge_analysis_flags_sync()")
    op.drop_index("ix_analysis_flags_student_flagged", table_name="analysis_flags")
    op.drop_table("analysis_flags")
