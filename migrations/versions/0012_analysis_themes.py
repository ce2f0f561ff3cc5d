"""Summary themes from keys folded once, when an analysis is written, not at every summary.

`analysis_themes` holds one row per item of an analysis's effective strengths and weaknesses
(the teacher's edit of a section, else the AI's result, as core/themes reads them): the item's
position, the phrase as written and its theme key, `ge_theme_key(phrase)`, the same folding a
summary grouped by (punctuation to spaces, then `ge_fold`). A trigger on `analyses` rewrites an
analysis's rows in the same transaction as every write of its results, edits or student, so a
summary joins the rows of the analyses it counts instead of folding about 6,000 phrases of a
Year-3 school on every call. `student_id` is the analysis's, for row-level security.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import APP_ROLE

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Punctuation becomes a space: ASCII, Latin-1, general punctuation, Hebrew paseq and sof pasuq.
# Left out on purpose: quotes, apostrophes, geresh and gershayim, which `ge_fold` deletes (as in
# name search, so "O'Brien" and "OBrien", or "ביה״ס" and "ביהס", fold alike).
PUNCTUATION = (
    "[!#-&(-/:-@\\[-_{-~\u00a1-\u00bf\u2010-\u2017\u201a-\u2027\u2030-\u205e"
    "\u05be\u05c0\u05c3\u05c6]"
)
KEY_SQL = f"""
CREATE FUNCTION public.ge_theme_key(phrase text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT public.ge_fold(regexp_replace(phrase, '{PUNCTUATION}', ' ', 'g'))
$$
"""

# The effective list items of analysis `a` (NEW in the trigger; each row of `source`, the
# table, in the backfill): an edited section replaces the AI's; one not an array has none.
ITEMS_SQL = """
SELECT {a}.id, s.section, e.position::int, {a}.student_id, public.ge_theme_key(e.phrase),
       e.phrase
FROM {source}(VALUES ('strengths'), ('weaknesses')) AS s (section)
CROSS JOIN LATERAL (
  SELECT coalesce({a}.teacher_edits -> s.section, {a}.results -> s.section) AS value
) AS v
CROSS JOIN LATERAL jsonb_array_elements_text(
  CASE WHEN jsonb_typeof(v.value) = 'array' THEN v.value ELSE '[]'::jsonb END
) WITH ORDINALITY AS e (phrase, position)
"""
COLUMNS = "analysis_id, section, position, student_id, key, phrase"

SYNC_SQL = f"""
CREATE FUNCTION public.ge_analysis_themes_sync() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM public.analysis_themes WHERE analysis_id = OLD.id;
  END IF;
  INSERT INTO public.analysis_themes ({COLUMNS})
  {ITEMS_SQL.format(a="NEW", source="")};
  RETURN NULL;
END
$$
"""

# A theme is visible with its student (whose own policy applies inside): a hashed semi-join
# over the actor's visible students, built once per statement, as analyses do for a principal.
THEMES_POLICY = (
    "(SELECT public.ge_actor_role()) IN ('ADMIN', 'SYSTEM') OR "
    "analysis_themes.student_id IN (SELECT s.id FROM students s)"
)


def upgrade() -> None:
    op.execute(KEY_SQL)
    op.create_table(
        "analysis_themes",
        sa.Column("analysis_id", sa.UUID(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("phrase", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("analysis_themes_analysis_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "analysis_id", "section", "position", name=op.f("analysis_themes_pkey")
        ),
    )
    op.execute(SYNC_SQL)
    op.execute(
        "CREATE TRIGGER analyses_themes_sync AFTER INSERT OR UPDATE OF results, teacher_edits, "
        "student_id ON analyses FOR EACH ROW EXECUTE FUNCTION public.ge_analysis_themes_sync()"
    )
    backfill = ITEMS_SQL.format(a="a", source="analyses AS a CROSS JOIN ")
    op.execute(f"INSERT INTO analysis_themes ({COLUMNS}) {backfill}")
    # Statistics now, not at autovacuum's leisure: the first summaries plan with them.
    op.execute("ANALYZE analysis_themes")
    op.execute(f"REVOKE ALL ON analysis_themes FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON analysis_themes TO {APP_ROLE}")
    op.execute("ALTER TABLE analysis_themes ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY analysis_themes_actor ON analysis_themes TO {APP_ROLE} "
        f"USING ({THEMES_POLICY})"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER analyses_themes_sync ON analyses")
    op.execute("DROP FUNCTION public.ge_analysis_themes_sync()")
    op.drop_table("analysis_themes")
    op.execute("DROP FUNCTION public.ge_theme_key(text)")
