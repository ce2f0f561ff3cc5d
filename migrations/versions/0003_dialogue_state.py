"""Dialogue state per chat user, and handled platform event ids (last line against redelivery).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:04:41.835779
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("processed_events_pkey")),
        sa.UniqueConstraint("event_key", name=op.f("processed_events_event_key_key")),
    )
    op.create_index(
        "ix_processed_events_created_at", "processed_events", ["created_at"], unique=False
    )
    op.create_table(
        "dialogue_states",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "platform", postgresql.ENUM(name="chat_platform", create_type=False), nullable=False
        ),
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("external_user_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("analysis_id", sa.UUID(), nullable=True),
        sa.Column("data", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analyses.id"], name=op.f("dialogue_states_analysis_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("dialogue_states_user_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("dialogue_states_pkey")),
        sa.UniqueConstraint(
            "platform",
            "workspace_id",
            "external_user_id",
            name=op.f("dialogue_states_platform_workspace_id_external_user_id_key"),
        ),
    )
    op.create_index("ix_dialogue_states_user_id", "dialogue_states", ["user_id"], unique=False)
    op.execute(
        "CREATE TRIGGER dialogue_states_set_updated_at BEFORE UPDATE ON dialogue_states "
        "FOR EACH ROW EXECUTE FUNCTION public.ge_set_updated_at()"
    )


def downgrade() -> None:
    op.drop_index("ix_dialogue_states_user_id", table_name="dialogue_states")
    op.drop_table("dialogue_states")
    op.drop_index("ix_processed_events_created_at", table_name="processed_events")
    op.drop_table("processed_events")
