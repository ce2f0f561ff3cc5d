"""Class lookups: a class roster and a teacher's classes, within the actor's visibility."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.actor import Actor
from core.audit import record, service
from core.errors import NotFound
from core.models import AuditAction, Class, ClassEnrollment, Student, User
from core.ordering import hebrew_order, name_order
from core.policy import visible_classes, visible_students, visible_users
from core.uow import UnitOfWork
from core.views import ClassView, StudentView


@service
async def class_roster(
    *, uow: UnitOfWork, actor: Actor, class_id: uuid.UUID
) -> tuple[ClassView, list[StudentView]]:
    """A visible class and its enrolled (not dropped) students, in Hebrew order."""
    klass = await uow.session.scalar(
        select(Class).where(Class.id == class_id, visible_classes(actor))
    )
    if klass is None:
        raise NotFound("Class", str(class_id))
    students = (
        await uow.session.scalars(
            select(Student)
            .join(ClassEnrollment, ClassEnrollment.student_id == Student.id)
            .where(
                ClassEnrollment.class_id == klass.id,
                ClassEnrollment.dropped_at.is_(None),
                visible_students(actor),
            )
            .order_by(*hebrew_order(Student))
        )
    ).all()
    views = [StudentView.of(s) for s in students]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Class",
        klass.id,
        student_ids=[s.id for s in views],
        operation="roster",
    )
    await uow.commit()
    return ClassView.of(klass), views


@service
async def teacher_classes(
    *, uow: UnitOfWork, actor: Actor, teacher_id: uuid.UUID | None = None
) -> list[ClassView]:
    """A teacher's classes (default: the actor's own), as far as the actor may see them."""
    teacher_id = teacher_id or actor.user_id
    teacher = await uow.session.scalar(
        select(User).where(User.id == teacher_id, visible_users(actor))
    )
    if teacher is None:
        raise NotFound("User", str(teacher_id))
    classes = (
        await uow.session.scalars(
            select(Class)
            .where(Class.teacher_id == teacher.id, visible_classes(actor))
            .order_by(Class.academic_year.desc(), name_order(Class), Class.id)
        )
    ).all()
    views = [ClassView.of(c) for c in classes]
    record(
        uow,
        actor,
        AuditAction.READ,
        "Class",
        teacher.id,
        operation="teacher_classes",
        classIds=[str(c.id) for c in views],
    )
    await uow.commit()
    return views
