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


def _list(section: str) -> str:
    value = f"coalesce(teacher_edits -> '{section}', results -> '{section}')"
    return (
        f"coalesce(array_to_string(ARRAY(SELECT jsonb_array_elements_text(CASE WHEN "
        f"jsonb_typeof({value}) = 'array' THEN {value} ELSE '[]'::jsonb END)), '; '), '')"
    )


_CONFIDENCE = "coalesce(teacher_edits -> 'confidence', results -> 'confidence')"
_EDITED = ", ".join(
    f"CASE WHEN teacher_edits -> '{s}' IS NOT NULL THEN '{s}' END"
    for s in ("strengths", "weaknesses", "recommendations", "learningStyle", "confidence")
)
SECTIONS = f"""
CREATE FUNCTION public.ge_export_sections(results jsonb, teacher_edits jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT concat_ws(',',
           public.ge_csv_text({_list("strengths")}),
           public.ge_csv_text({_list("weaknesses")}),
           public.ge_csv_text({_list("recommendations")}),
           public.ge_csv_text(coalesce(teacher_edits ->> 'learningStyle',
                                       results ->> 'learningStyle')),
           public.ge_csv_guarded(CAST(round(CAST(CASE WHEN jsonb_typeof({_CONFIDENCE}) = 'number'
                                 THEN CAST({_CONFIDENCE} AS double precision) END AS numeric), 2)
                                 AS text)),
           concat_ws(';', {_EDITED}))
$$
"""


def upgrade() -> None:
    op.execute(GUARD)
    op.execute(QUOTED)
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
    op.execute("DROP FUNCTION public.ge_csv_text(text)")
    op.execute("DROP FUNCTION public.ge_csv_guarded(text)")
