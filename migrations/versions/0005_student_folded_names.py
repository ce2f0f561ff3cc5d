"""Stored folded first and last names, so search ranks and checks typos without folding per row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column, source in (("first_fold", "first_name"), ("last_fold", "last_name")):
        op.add_column(
            "students",
            sa.Column(
                column,
                sa.Text(collation="C"),
                sa.Computed(f"ge_fold({source})", persisted=True),
                nullable=False,
            ),
        )


def downgrade() -> None:
    op.drop_column("students", "last_fold")
    op.drop_column("students", "first_fold")
