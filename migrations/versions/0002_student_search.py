"""Student search: a folded, trigram-indexed name column; case-insensitive unique email.

`search_text` is "first last last first" folded by `ge_fold` (niqqud, final letters, case,
hyphens, apostrophes), so either name order matches as a substring. The GIN index combines
school_id (btree_gin) with trigrams (pg_trgm), so a principal's search touches only their
school's rows. fuzzystrmatch gives `levenshtein` for the one-typo rule.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTENSIONS = ("pg_trgm", "btree_gin", "fuzzystrmatch")


def upgrade() -> None:
    for extension in EXTENSIONS:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA public")
    op.add_column(
        "students",
        sa.Column(
            "search_text",
            sa.Text(collation="C"),
            sa.Computed(
                "ge_fold(first_name || ' ' || last_name) || ' ' || "
                "ge_fold(last_name || ' ' || first_name)",
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.create_index(
        "idx_students_search_trgm",
        "students",
        ["school_id", "search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "users_email_lower_key", "users", [sa.literal_column("lower(email)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("users_email_lower_key", table_name="users")
    op.drop_index("idx_students_search_trgm", table_name="students")
    op.drop_column("students", "search_text")
    for extension in reversed(EXTENSIONS):
        op.execute(f"DROP EXTENSION IF EXISTS {extension}")
