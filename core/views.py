"""Read models returned by services: plain values, never live ORM rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.models import Class, Student, User

T = TypeVar("T")


@dataclass(frozen=True)
class StudentView:
    """A student as shown in lists and search results."""

    id: uuid.UUID
    first_name: str
    last_name: str
    student_id: str | None
    grade_level: str
    school_id: uuid.UUID

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @classmethod
    def of(cls, s: Student) -> StudentView:
        """From a loaded row."""
        return cls(s.id, s.first_name, s.last_name, s.student_id, s.grade_level, s.school_id)


@dataclass(frozen=True)
class UserView:
    """A staff member."""

    id: uuid.UUID
    email: str
    role: str
    first_name: str
    last_name: str
    school_id: uuid.UUID
    is_active: bool

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @classmethod
    def of(cls, u: User) -> UserView:
        """From a loaded row."""
        return cls(u.id, u.email, str(u.role), u.first_name, u.last_name, u.school_id, u.is_active)


@dataclass(frozen=True)
class ClassView:
    """A class section and its teacher."""

    id: uuid.UUID
    name: str
    subject: str | None
    grade_level: str | None
    section: str | None
    academic_year: str | None
    teacher_id: uuid.UUID
    school_id: uuid.UUID

    @classmethod
    def of(cls, c: Class) -> ClassView:
        """From a loaded row."""
        return cls(
            c.id,
            c.name,
            c.subject,
            c.grade_level,
            c.section,
            c.academic_year,
            c.teacher_id,
            c.school_id,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with whether more follow."""

    items: list[T]
    page: int
    page_size: int
    has_more: bool
