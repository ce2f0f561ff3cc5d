"""Why a FAILED analysis failed, on the analysis itself: `analyses.failure_reason`.

The reason (`cancelled`, `ai_unavailable`, `expired`, `discarded`...) lived only in the audit
metadata of the status change, so every read that needed it searched the partitioned audit trail
from the analysis's creation on. At Year 3 most students have a failed analysis, and a teacher's
`history` of one spent 7-25 ms of its 8-60 ms there (the statement planned all thirteen monthly
partitions, 16 ms of planning on its own); the resume offer paged through a teacher's analyses
ten at a time the same way. The services that set FAILED now write the reason with the status,
in the same audited change (the audit row keeps it too), and clear it when the analysis is
reopened; a CHECK keeps it NULL on any analysis that is not FAILED.

The backfill gives each FAILED analysis the reason those reads gave it: the latest audit row
of the analysis carrying a reason, from its creation on.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import APP_ROLE

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_analyses_failure_reason_only_when_failed"
ROLES = (APP_ROLE, "growth_engine_teacher", "growth_engine_principal", "growth_engine_admin")

# Read by the resource index per analysis, with the partitions before its creation pruned
# while it runs; `updated_at` must not move (the trigger is off for the backfill).
BACKFILL = """
UPDATE analyses a SET failure_reason = found.reason
  FROM (SELECT f.id,
               (SELECT l.metadata ->> 'reason' FROM audit_logs l
                 WHERE l.resource = 'Analysis' AND l.resource_id = f.id::text
                   AND l.created_at >= f.created_at AND l.metadata ? 'reason'
                 ORDER BY l.created_at DESC LIMIT 1) AS reason
          FROM analyses f WHERE f.status = 'FAILED') AS found
 WHERE a.id = found.id AND found.reason IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("analyses", sa.Column("failure_reason", sa.Text(), nullable=True))
    op.execute("ALTER TABLE analyses DISABLE TRIGGER analyses_set_updated_at")
    op.execute(BACKFILL)
    op.execute("ALTER TABLE analyses ENABLE TRIGGER analyses_set_updated_at")
    op.execute(
        f"ALTER TABLE analyses ADD CONSTRAINT {CHECK} "
        "CHECK (failure_reason IS NULL OR status = 'FAILED')"
    )
    # `analyses` is readable column by column (private notes are not): the new one needs its own.
    op.execute(f"GRANT SELECT (failure_reason) ON analyses TO {', '.join(ROLES)}")


def downgrade() -> None:
    op.execute(f"ALTER TABLE analyses DROP CONSTRAINT {CHECK}")
    op.drop_column("analyses", "failure_reason")
