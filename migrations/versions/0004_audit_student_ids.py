"""GIN index on audit_logs.metadata->'studentIds', for a student's disclosure log.

A student's disclosure log is every audit row whose resource_id is the student or whose
metadata lists the student in `studentIds` (reads of lists and searches, analyses, imports);
the `?` containment test on this index keeps that lookup off a full scan of the trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "idx_audit_logs_student_ids",
        "audit_logs",
        [sa.text("(metadata -> 'studentIds')")],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("idx_audit_logs_student_ids", table_name="audit_logs")
