"""An analysis keeps its five sections written as CSV cells: `analyses.export_sections`.

The export wrote every analysis's sections (teacher edits over the model's results, lists joined
with "; ", each cell guarded against spreadsheet formulas and quoted, the confidence rounded,
which sections were edited) in the export's own statement, on every export. At Year 3 that was
about 14 of a school export's 32 ms of SQL (2,482 analyses), and the guards and quotes most of
the rest. The cells depend on the analysis row alone, so they are a stored generated column,
written when the results or the edits are: an export reads them as they are.

`ge_export_sections` is the one SQL definition of those cells; tests compare it with the
expressions the rest of the code uses (core/themes.py, core/csv_sql.py) on awkward input. A
migration that changes it must recompute the column (drop and add it again, as 0008 does for
sort keys).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = (APP_ROLE, "growth_engine_teacher", "growth_engine_principal", "growth_engine_admin")

# A text cell as core/csv_sql.text_cell writes it: an apostrophe before a formula's first
# character (=, +, -, @, tab, carriage return), then quoted with its quotes doubled.
GUARD = """
CREATE FUNCTION public.ge_csv_guarded(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN left(coalesce(value, ''), 1) = ANY (ARRAY['=', '+', '-', '@', E'\\t', E'\\r'])
              THEN '''' || coalesce(value, '') ELSE coalesce(value, '') END
$$
"""
QUOTED = """
CREATE FUNCTION public.ge_csv_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '"' || replace(public.ge_csv_guarded(value), '"', '""') || '"'
$$
"""


# A list section's items joined with "; " (core/themes.joined): an empty string unless it is a
# JSON array; JSON nulls left out. PL/pgSQL over the array's indexes, with no query inside: a
# SQL function with `ARRAY(SELECT jsonb_array_elements_text(...))` cannot be inlined, and called
# once per row it cost 133 microseconds an analysis against 28 for this (5,000 Year-3 rows), in
# every write of an analysis and in the Year-3 seed (3 million rows).
LIST = """
CREATE FUNCTION public.ge_csv_list(value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  parts text[] := '{}';
BEGIN
  IF jsonb_typeof(value) IS DISTINCT FROM 'array' THEN
    RETURN '';
  END IF;
  FOR i IN 0 .. jsonb_array_length(value) - 1 LOOP
    parts := parts || (value ->> i);
  END LOOP;
  RETURN array_to_string(parts, '; ');
END
$$
"""


def _effective(section: str) -> str:
    return f"coalesce(teacher_edits -> '{section}', results -> '{section}')"


_EDITED = ",\n      ".join(
    f"CASE WHEN teacher_edits -> '{s}' IS NOT NULL THEN '{s}' END"
    for s in ("strengths", "weaknesses", "recommendations", "learningStyle", "confidence")
)
SECTIONS = f"""
CREATE FUNCTION public.ge_export_sections(results jsonb, teacher_edits jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  confidence jsonb := {_effective("confidence")};
BEGIN
  RETURN concat_ws(',',
    public.ge_csv_text(public.ge_csv_list({_effective("strengths")})),
    public.ge_csv_text(public.ge_csv_list({_effective("weaknesses")})),
    public.ge_csv_text(public.ge_csv_list({_effective("recommendations")})),
    public.ge_csv_text(coalesce(teacher_edits ->> 'learningStyle', results ->> 'learningStyle')),
    public.ge_csv_guarded(CASE WHEN jsonb_typeof(confidence) = 'number' THEN
      CAST(round(CAST(CAST(confidence AS double precision) AS numeric), 2) AS text) END),
    concat_ws(';',
      {_EDITED}));
END
$$
"""


def upgrade() -> None:
    op.execute(GUARD)
    op.execute(QUOTED)
    op.execute(LIST)
    op.execute(SECTIONS)
    op.execute(
        "ALTER TABLE analyses ADD COLUMN export_sections text "
        "GENERATED ALWAYS AS (public.ge_export_sections(results, teacher_edits)) STORED"
    )
    # `analyses` is readable column by column (private notes are not): the new one needs its own.
    op.execute(f"GRANT SELECT (export_sections) ON analyses TO {', '.join(ROLES)}")


def downgrade() -> None:
    op.execute("ALTER TABLE analyses DROP COLUMN export_sections")
    op.execute("DROP FUNCTION public.ge_export_sections(jsonb, jsonb)")
    op.execute("DROP FUNCTION public.ge_csv_list(jsonb)")
    op.execute("DROP FUNCTION public.ge_csv_text(text)")
    op.execute("DROP FUNCTION public.ge_csv_guarded(text)")
