"""Roster lookups for the acting user: list, search, one student, a student's classes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from core.actor import Actor
from core.audit import record, service
from core.errors import InvalidInput, StudentNotFound
from core.models import AuditAction, Class, ClassEnrollment, Student, User
from core.ordering import hebrew_order, name_order
from core.policy import visible_classes, visible_students
from core.search import across_scripts_statement, fold, search_for
from core.uow import UnitOfWork
from core.views import ClassView, Page, StudentView, UserView

MAX_PAGE_SIZE = 200
MAX_RESULTS = 50


@dataclass(frozen=True)
class StudentClass:
    """One class a student is enrolled in, with its teacher."""

    klass: ClassView
    teacher: UserView
    dropped: bool


@service
async def list_my_students(
    *, uow: UnitOfWork, actor: Actor, page: int = 1, page_size: int = 50
) -> Page[StudentView]:
    """The students the actor may see, in Hebrew order, one page at a time."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput("page", f"page >= 1 and page size 1..{MAX_PAGE_SIZE}", rule="page_range")
    rows = (
        await uow.session.scalars(
            select(Student)
            .where(visible_students(actor))
            .order_by(*hebrew_order(Student))
            .offset((page - 1) * page_size)
            .limit(page_size + 1)
        )
    ).all()
    items = [StudentView.of(s) for s in rows[:page_size]]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Student",
        student_ids=[s.id for s in items],
        operation="list",
        page=page,
    )
    await uow.commit()
    return Page(items, page, page_size, has_more=len(rows) > page_size)


EXACT = 0  # the rank core.search gives an exact name match


@service
async def find_students(
    *, uow: UnitOfWork, actor: Actor, query: str, limit: int = 10, best_only: bool = False
) -> list[StudentView]:
    """Students the actor may see matching free text (names either order, typo, school id).

    `best_only` keeps just the exact matches when there are any, so "Liam" picks Liam O'Brien
    rather than also offering Noah Williams; a prefix ("li") keeps every match, to choose from.
    """
    raw = query.strip()
    if not raw:
        raise InvalidInput("query", "empty search")
    limit = max(1, min(limit, MAX_RESULTS))
    folded = await fold(uow.session, raw)
    if not folded:
        # Only punctuation or niqqud: an empty pattern would match every visible student.
        raise InvalidInput("query", "empty search")
    statement, params = search_for(actor, folded, raw, limit)
    rows = (await uow.session.execute(statement, params)).all()
    exact = any(rank == EXACT for _student, rank in rows)
    keep = best_only and exact
    found = [StudentView.of(student) for student, rank in rows if not keep or rank == EXACT]
    across = None if found else across_scripts_statement(folded, visible_students(actor), limit)
    if across is not None:  # a Latin name typed in Hebrew letters, or the reverse
        found = [StudentView.of(student) for student in await uow.session.scalars(across)]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Student",
        student_ids=[s.id for s in found],
        operation="search",
        resultCount=len(found),
    )
    await uow.commit()
    return found


async def _visible_student(uow: UnitOfWork, actor: Actor, student_id: uuid.UUID) -> Student:
    student = await uow.session.scalar(
        select(Student).where(Student.id == student_id, visible_students(actor))
    )
    if student is None:
        raise StudentNotFound(str(student_id))
    return student


@service
async def get_student(*, uow: UnitOfWork, actor: Actor, student_id: uuid.UUID) -> StudentView:
    """One student, if the actor may see them (else StudentNotFound, audited as a failure)."""
    student = await _visible_student(uow, actor, student_id)
    record(uow, actor, AuditAction.READ, "Student", student.id, student_ids=[student.id])
    await uow.commit()
    return StudentView.of(student)


@service
async def student_classes(
    *, uow: UnitOfWork, actor: Actor, student_id: uuid.UUID
) -> list[StudentClass]:
    """A visible student's classes and teachers (only classes the actor may see)."""
    student = await _visible_student(uow, actor, student_id)
    rows = (
        await uow.session.execute(
            select(Class, User, ClassEnrollment.dropped_at)
            .join(ClassEnrollment, ClassEnrollment.class_id == Class.id)
            .join(User, User.id == Class.teacher_id)
            .where(ClassEnrollment.student_id == student.id, visible_classes(actor))
            .order_by(name_order(Class), Class.id)
        )
    ).all()
    result = [StudentClass(ClassView.of(c), UserView.of(u), d is not None) for c, u, d in rows]
    record(
        uow,
        actor,
        AuditAction.READ,
        "ClassEnrollment",
        student.id,
        student_ids=[student.id],
        classIds=[str(r.klass.id) for r in result],
    )
    await uow.commit()
    return result
