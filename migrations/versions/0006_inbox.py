"""A durable inbox of platform events (absorbing processed_events) and an outbox of replies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("conversation_key", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("inbox_events_pkey")),
        sa.UniqueConstraint("event_key", name=op.f("inbox_events_event_key_key")),
    )
    op.create_index(
        "ix_inbox_events_unanswered",
        "inbox_events",
        ["conversation_key", "seq"],
        postgresql_where=sa.text("answered_at IS NULL"),
    )
    op.create_index("ix_inbox_events_created_at", "inbox_events", ["created_at"])
    # Handled event ids keep guarding against redelivery, now as answered inbox entries.
    op.execute(
        "INSERT INTO inbox_events (event_key, conversation_key, answered_at, created_at) "
        "SELECT event_key, '', created_at, created_at FROM processed_events"
    )
    op.drop_index("ix_processed_events_created_at", table_name="processed_events")
    op.drop_table("processed_events")
    op.create_table(
        "outbox_replies",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("chat_key", sa.Text(), nullable=False),
        sa.Column("route", postgresql.JSONB(), nullable=False),
        sa.Column("reply", postgresql.JSONB(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("outbox_replies_pkey")),
    )
    op.create_index(
        "ix_outbox_replies_unsent",
        "outbox_replies",
        ["chat_key", "seq"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("ix_outbox_replies_created_at", "outbox_replies", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_replies_created_at", table_name="outbox_replies")
    op.drop_index("ix_outbox_replies_unsent", table_name="outbox_replies")
    op.drop_table("outbox_replies")
    op.create_table(
        "processed_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("processed_events_pkey")),
        sa.UniqueConstraint("event_key", name=op.f("processed_events_event_key_key")),
    )
    op.create_index(
        "ix_processed_events_created_at", "processed_events", ["created_at"], unique=False
    )
    # Every stored event counts as handled: an unanswered one is lost to the old design anyway.
    op.execute(
        "INSERT INTO processed_events (event_key, created_at) "
        "SELECT event_key, created_at FROM inbox_events"
    )
    op.drop_index("ix_inbox_events_created_at", table_name="inbox_events")
    op.drop_index("ix_inbox_events_unanswered", table_name="inbox_events")
    op.drop_table("inbox_events")
