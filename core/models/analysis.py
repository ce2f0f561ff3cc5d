"""AI analyses of a student and the conversation turns that produced them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Enum,
    FetchedValue,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from core.models.base import Base, created_at, deleted_at, school_key, updated_at, uuid_pk
from core.models.enums import AnalysisStatus, ConversationRole
from core.models.types import NFCText

EXPORT_SECTIONS_SQL = "public.ge_export_sections(results, teacher_edits)"


class Analysis(Base):
    __tablename__ = "analyses"

    id: Mapped[uuid.UUID] = uuid_pk()
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"))
    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The student's school, set by the database from the student (0017): row-level security's
    # principal rule and per-school queries read it without joining students.
    school_id: Mapped[uuid.UUID] = school_key()
    status: Mapped[AnalysisStatus] = mapped_column(
        Enum(AnalysisStatus, name="analysis_status"), server_default=text("'IN_PROGRESS'")
    )
    results: Mapped[dict[str, Any] | None]
    teacher_edits: Mapped[dict[str, Any] | None]
    # Not readable by the application role (migration 0007): written here, read through
    # `notes_for_actor`, which asks the database for the notes this transaction's actor may see.
    private_notes: Mapped[str | None] = mapped_column(deferred=True, deferred_raiseload=True)
    notes_for_actor: Mapped[str | None] = query_expression()
    session_duration: Mapped[int | None]
    total_tokens: Mapped[int | None]
    estimated_cost: Mapped[float | None]
    flagged_for_review: Mapped[bool] = mapped_column(server_default=text("false"))
    # Why a FAILED analysis failed (`cancelled`, `ai_unavailable`, `discarded`...), written with
    # the status (0021): reads of it never search the audit trail. NULL unless FAILED.
    failure_reason: Mapped[str | None]
    # The five sections as the export writes them (0027: `ge_export_sections`), kept by the
    # database from the results and the edits; only the export reads it.
    export_sections: Mapped[str | None] = mapped_column(
        Text, Computed(EXPORT_SECTIONS_SQL, persisted=True), deferred=True
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        Index("ix_analyses_student_id", "student_id"),
        Index("ix_analyses_teacher_id", "teacher_id"),
        Index("ix_analyses_status", "status"),
        Index("ix_analyses_flagged_for_review", "flagged_for_review"),
        Index("ix_analyses_created_at", "created_at"),
        Index("ix_analyses_deleted_at", "deleted_at"),
        Index("idx_analyses_student_created", "student_id", text("created_at DESC")),
        Index("idx_analyses_teacher_created", "teacher_id", text("created_at DESC")),
        Index(
            "idx_analyses_flagged",
            "flagged_for_review",
            postgresql_where=text("flagged_for_review = true"),
        ),
        Index(
            "ix_analyses_school_created",
            "school_id",
            "created_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # A principal's flagged list under row-level security (0020).
        Index(
            "ix_analyses_school_flagged",
            "school_id",
            postgresql_where=text("flagged_for_review IS true AND deleted_at IS NULL"),
        ),
        # The teacher's rule on students asks whether the teacher analysed the student (0023).
        Index("ix_analyses_student_teacher", "student_id", "teacher_id"),
        Index(
            "ix_analyses_student_status_created",
            "student_id",
            "status",
            "created_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        CheckConstraint(
            "failure_reason IS NULL OR status = 'FAILED'",
            name="failure_reason_only_when_failed",  # ck_analyses_... (NAMING),
        ),
    )


class AnalysisFlag(Base):
    """A flagged, not deleted analysis and when it was flagged (kept by a trigger, 0009)."""

    __tablename__ = "analysis_flags"

    analysis_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"))
    school_id: Mapped[uuid.UUID] = school_key()
    flagged_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_analysis_flags_student_flagged", "student_id", text("flagged_at DESC")),
        Index("ix_analysis_flags_school_flagged", "school_id", text("flagged_at DESC")),
    )


class AnalysisTheme(Base):
    """One item of an analysis's effective strengths or weaknesses, keyed (a trigger, 0011)."""

    __tablename__ = "analysis_themes"

    analysis_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    section: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[uuid.UUID]
    school_id: Mapped[uuid.UUID] = school_key()
    # The analysis's creation time, copied by the same trigger (0024): a summary's period.
    created_at: Mapped[datetime] = mapped_column(server_default=FetchedValue())
    key: Mapped[str | None] = mapped_column(Text)
    phrase: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # A school's items of a period, read from the index alone (0024).
        Index(
            "ix_analysis_themes_school_created",
            "school_id",
            "created_at",
            postgresql_include=["analysis_id", "section", "key", "phrase"],
        ),
    )


# The private notes this transaction's actor may read (the author; admins for the full record).
NOTES_FOR_ACTOR = func.ge_private_notes(Analysis.__table__.c.id)


class AnalysisConversation(Base):
    __tablename__ = "analysis_conversations"

    id: Mapped[uuid.UUID] = uuid_pk()
    analysis_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    role: Mapped[ConversationRole] = mapped_column(Enum(ConversationRole, name="conversation_role"))
    content: Mapped[str] = mapped_column(NFCText())
    tokens: Mapped[int | None]
    sequence_number: Mapped[int]
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_analysis_conversations_analysis_id", "analysis_id"),
        Index("ix_analysis_conversations_sequence_number", "sequence_number"),
        UniqueConstraint("analysis_id", "sequence_number"),
    )
