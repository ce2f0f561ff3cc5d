"""The audit trail's student index without a pending list: entries go into the index as written.

A GIN index by default collects new entries in a pending list and merges them later: by
autovacuum, or by whichever insert finds the list over `gin_pending_list_limit` (4 MB). The
audit trail's `studentIds` index takes an export's or a summary's whole list of students per
row (a school export: 750 ids), so the list fills in minutes, and the insert that merges it
(a principal's export, a teacher's turn) waits for the merge: at Year 3 the export's p95 was
three times its p50. Every `audit student` read also scans the whole unmerged list (202 pages
in the Year-3 bench's current month: 23 -> 16 ms p50 once merged). With `fastupdate` off each
insert pays for its own entries and reads see only the index.

The index is created again on the partitioned parent with the option, so every partition's
index, and every partition made later, carries it. At Year 3 (30 million rows) the rebuild
takes a few minutes; the audit trail's DDL watch records it like any other.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "idx_audit_logs_student_ids"
_CREATE = f"CREATE INDEX {INDEX} ON audit_logs USING gin ((metadata -> 'studentIds'))"


def upgrade() -> None:
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(f"{_CREATE} WITH (fastupdate = off)")


def downgrade() -> None:
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(_CREATE)
