"""The immutable audit trail, by month (triggers refuse UPDATE, DELETE and TRUNCATE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, uuid_pk
from core.models.enums import AuditAction


class AuditLog(Base):
    __tablename__ = "audit_logs"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[str | None]
    user_email: Mapped[str | None]
    user_role: Mapped[str | None]
    action: Mapped[AuditAction] = mapped_column(Enum(AuditAction, name="audit_action"))
    resource: Mapped[str]
    resource_id: Mapped[str | None]
    ip_address: Mapped[str | None]
    user_agent: Mapped[str | None]
    # "metadata" is reserved on declarative classes, so the attribute is named differently.
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_audit_logs_user_id", "user_id"),
        Index("ix_audit_logs_resource_id", "resource_id"),
        Index("ix_audit_logs_action", "action"),
        Index("ix_audit_logs_created_at", "created_at"),
        Index("idx_audit_logs_resource", "resource", "resource_id", text("created_at DESC")),
        Index("idx_audit_logs_user_date", "user_id", text("created_at DESC")),
        # A student's disclosure log: rows that list the student among `studentIds` (0004).
        Index(
            "idx_audit_logs_student_ids",
            text("(metadata -> 'studentIds')"),
            postgresql_using="gin",
            # Entries go in as written, no pending list to merge on a user's insert (0018).
            postgresql_with={"fastupdate": "off"},
        ),
        Index("ix_audit_logs_user_email_date", text("lower(user_email)"), text("created_at DESC")),
        # Monthly partitions (0010); the primary key is (id, created_at) in the database.
        {"postgresql_partition_by": "RANGE (created_at)"},
    )
