"""Each theme item carries its analysis's date: a school's items of a period are one index range.

A school summary's themes section read the items of each counted analysis by the analysis's key
(Year 3: 1,977 probes into `analysis_themes` for 5,649 items, about 10 of the statement's 30 ms).
The items now carry the analysis's `created_at` (the date a summary's period is about), written
by 0017's trigger with the school, never by a caller, and an index on (school, date) holds what
the section reads, so the period's items of a school come from one range of one index, without
visiting the table. The old index by school alone is replaced: the new one starts with it.

An analysis's `created_at` never changes (no service writes it), so the copy needs no trigger of
its own. The backfill rewrites every item once: on the Year-3 bench database (7.7 M items) the
upgrade, with the VACUUM that makes the new index answer alone, took 7 minutes. Run it with the
service stopped, or expect summaries to wait on it; VACUUM (ANALYZE) analysis_themes after it.
Parts of a school (a grade, a class, a student) still read their few analyses' items by key.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHOOL_KEYS = importlib.import_module("migrations.versions.0017_school_keys")

INDEX = "ix_analysis_themes_school_created"
OLD_INDEX = "ix_analysis_themes_school"
# The columns a summary's themes section reads, so the range needs no visit to the table.
INCLUDED = ["analysis_id", "section", "key", "phrase"]

# 0017's theme sync and items, one more column: the analysis's date.
THEME_COLUMNS = SCHOOL_KEYS.THEME_COLUMNS + ", school_id, created_at"
THEMES_SYNC = SCHOOL_KEYS.THEMES_SYNC.format(
    columns=THEME_COLUMNS,
    items=SCHOOL_KEYS.THEME_ITEMS.format(
        a="NEW", source="", school=", NEW.school_id, NEW.created_at"
    ),
)


def upgrade() -> None:
    op.add_column(
        "analysis_themes", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE analysis_themes t SET created_at = a.created_at FROM analyses a "
        "WHERE a.id = t.analysis_id"
    )
    op.alter_column("analysis_themes", "created_at", nullable=False)
    op.execute(THEMES_SYNC)
    op.create_index(
        INDEX,
        "analysis_themes",
        ["school_id", "created_at"],
        postgresql_include=INCLUDED,
    )
    op.drop_index(OLD_INDEX, table_name="analysis_themes")
    op.execute("ANALYZE analysis_themes")


def downgrade() -> None:
    op.create_index(OLD_INDEX, "analysis_themes", ["school_id"])
    op.drop_index(INDEX, table_name="analysis_themes")
    op.execute(SCHOOL_KEYS.THEMES_SYNC_WITH_SCHOOL)
    op.drop_column("analysis_themes", "created_at")
