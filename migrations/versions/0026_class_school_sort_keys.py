"""Classes and schools keep their Hebrew-order sort key stored, as users and students do.

A class's or school's place in a list was `ge_sort_key(name, '')`, worked out in every query
that sorted them. That function is SQL that cannot be inlined: about 70 microseconds a name,
plus planning its body once per statement. A school summary's classes (Year 1: 50) spent 3 to
6 of the statement's 17 ms on it, and more under row-level security, where it came out above
the bench's 10 % (p50 1.13 against the owner). Stored as a generated column, the key is worked
out once when the name is written.

0008 recomputes `users` and `students` keys when `ge_sort_key` changes; a migration that
changes it again must recompute these two as well.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("classes", "schools")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "sort_key",
                sa.Text(collation="C"),
                sa.Computed("ge_sort_key(name, '')", persisted=True),
                nullable=False,
            ),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "sort_key")
