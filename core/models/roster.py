"""Students, classes and the enrollments that join them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Computed, ForeignKey, Index, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, deleted_at, school_key, updated_at, uuid_pk
from core.models.org import NAME_SORT_KEY_SQL, SORT_KEY_SQL

SEARCH_TEXT_SQL = (
    "ge_fold(first_name || ' ' || last_name) || ' ' || ge_fold(last_name || ' ' || first_name)"
)


class Student(Base):
    __tablename__ = "students"

    id: Mapped[uuid.UUID] = uuid_pk()
    first_name: Mapped[str]
    last_name: Mapped[str]
    student_id: Mapped[str | None]
    grade_level: Mapped[str]
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"))
    date_of_birth: Mapped[datetime | None]
    gender: Mapped[str | None]
    notes: Mapped[str | None]
    enrollment_date: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    # Hebrew alphabetical order, identical on ICU and non-ICU builds (see migrations).
    sort_key: Mapped[str] = mapped_column(
        Text(collation="C"), Computed(SORT_KEY_SQL, persisted=True)
    )
    # Folded names, stored so ranking and the typo check need no per-row folding (0005).
    first_fold: Mapped[str] = mapped_column(
        Text(collation="C"), Computed("ge_fold(first_name)", persisted=True)
    )
    last_fold: Mapped[str] = mapped_column(
        Text(collation="C"), Computed("ge_fold(last_name)", persisted=True)
    )
    # Folded "first last last first" for name search (migration 0002, trigram index).
    search_text: Mapped[str] = mapped_column(
        Text(collation="C"), Computed(SEARCH_TEXT_SQL, persisted=True)
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        UniqueConstraint("school_id", "student_id"),
        Index("ix_students_school_id", "school_id"),
        Index("ix_students_grade_level", "grade_level"),
        Index("idx_students_name", "last_name", "first_name"),
        Index("ix_students_deleted_at", "deleted_at"),
        Index("idx_students_school_grade", "school_id", "grade_level"),
        Index("idx_students_active", "is_active", postgresql_where=text("deleted_at IS NULL")),
        Index("ix_students_school_sort_key", "school_id", "sort_key"),
        # A query's adjacent-letter swaps against the folded names (migration 0008).
        Index("idx_students_first_fold", "school_id", "first_fold"),
        Index("idx_students_last_fold", "school_id", "last_fold"),
        # A school's live students read from the index alone (0009): the summary's starting set.
        Index(
            "ix_students_school_live",
            "school_id",
            "id",
            postgresql_include=["grade_level", "is_active"],
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "idx_students_search_trgm",
            "school_id",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )


class Class(Base):
    __tablename__ = "classes"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    subject: Mapped[str | None]
    grade_level: Mapped[str | None]
    section: Mapped[str | None]
    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"))
    academic_year: Mapped[str | None]
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    # Hebrew alphabetical order of the name, stored (0026): see core/ordering.name_order.
    sort_key: Mapped[str] = mapped_column(
        Text(collation="C"), Computed(NAME_SORT_KEY_SQL, persisted=True)
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        Index("ix_classes_teacher_id", "teacher_id"),
        Index("ix_classes_school_id", "school_id"),
        Index("ix_classes_grade_level", "grade_level"),
        Index("ix_classes_academic_year", "academic_year"),
        Index("ix_classes_deleted_at", "deleted_at"),
    )


class ClassEnrollment(Base):
    __tablename__ = "class_enrollments"

    id: Mapped[uuid.UUID] = uuid_pk()
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("classes.id"))
    # The class's school, set by the database from the class (0022): row-level security's
    # principal and teacher rules read it without joining classes.
    school_id: Mapped[uuid.UUID] = school_key()
    enrolled_at: Mapped[datetime] = mapped_column(server_default=func.now())
    dropped_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __table_args__ = (
        UniqueConstraint("student_id", "class_id"),
        Index("ix_class_enrollments_student_id", "student_id"),
        Index("ix_class_enrollments_class_id", "class_id"),
        Index("ix_class_enrollments_enrolled_at", "enrolled_at"),
        Index("ix_class_enrollments_school_id", "school_id"),
    )
