"""Who may see what, expressed as SQL conditions so no caller ever filters rows itself.

TEACHER: students with a non-dropped enrollment in an active, undeleted class the teacher
teaches; analyses of those students; private notes only on analyses the teacher wrote.
PRINCIPAL: every student, class, teacher and analysis of their school; never private notes.
ADMIN: everything (soft-deleted rows included, for restore); audited like everyone else.
Inactive or deleted users, and users of a deleted school, are refused by the unit of work
(`UnitOfWork.act_as`), in every transaction. The database repeats these rules as row-level
security (migration 0007), so a query that forgets a condition still sees no more.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, select, true

from core.actor import Actor
from core.errors import AccessDenied
from core.models import Analysis, Class, ClassEnrollment, Student, User, UserRole


def placeholder_actor(actor: Actor) -> Actor:
    """`actor` with its ids as the named parameters `actor_user_id` and `actor_school_id`.

    For statements compiled once per role and run with each actor's ids as values: the rules
    below then render `= :actor_school_id` instead of the ids themselves.
    """
    return replace(
        actor,
        user_id=bindparam("actor_user_id"),  # type: ignore[arg-type]
        school_id=bindparam("actor_school_id"),  # type: ignore[arg-type]
    )


def actor_values(actor: Actor) -> dict[str, object]:
    """The values of `placeholder_actor`'s parameters for `actor`."""
    return {"actor_user_id": actor.user_id, "actor_school_id": actor.school_id}


def teaches_student(teacher_id: object) -> ColumnElement[bool]:
    """An active enrollment of the student in an active class of this teacher."""
    return exists(
        select(ClassEnrollment.id)
        .join(Class, Class.id == ClassEnrollment.class_id)
        .where(
            ClassEnrollment.student_id == Student.id,
            ClassEnrollment.dropped_at.is_(None),
            Class.teacher_id == teacher_id,
            Class.is_active.is_(True),
            Class.deleted_at.is_(None),
        )
    )


def visible_students(actor: Actor, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """WHERE condition on Student for the students `actor` may see."""
    if actor.role is UserRole.ADMIN:
        return true() if include_deleted else Student.deleted_at.is_(None)
    alive = Student.deleted_at.is_(None)
    if actor.role is UserRole.PRINCIPAL:
        return and_(Student.school_id == actor.school_id, alive)
    if actor.role is UserRole.TEACHER:
        return and_(Student.school_id == actor.school_id, alive, teaches_student(actor.user_id))
    return false()


def visible_analyses(actor: Actor, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """WHERE condition on Analysis: analyses of visible students, deleted ones hidden."""
    if actor.role is UserRole.ADMIN:
        return true() if include_deleted else Analysis.deleted_at.is_(None)
    students = select(Student.id).where(visible_students(actor))
    return and_(Analysis.deleted_at.is_(None), Analysis.student_id.in_(students))


def visible_classes(actor: Actor, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """WHERE condition on Class: a teacher's own classes, a principal's school, or all."""
    if actor.role is UserRole.ADMIN:
        return true() if include_deleted else Class.deleted_at.is_(None)
    alive = Class.deleted_at.is_(None)
    if actor.role is UserRole.PRINCIPAL:
        return and_(Class.school_id == actor.school_id, alive)
    if actor.role is UserRole.TEACHER:
        return and_(Class.teacher_id == actor.user_id, alive, Class.is_active.is_(True))
    return false()


def visible_users(actor: Actor, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """WHERE condition on User: oneself for a teacher, the school for a principal, all for admin."""
    if actor.role is UserRole.ADMIN:
        return true() if include_deleted else User.deleted_at.is_(None)
    alive = User.deleted_at.is_(None)
    if actor.role is UserRole.PRINCIPAL:
        return and_(User.school_id == actor.school_id, alive)
    return and_(User.id == actor.user_id, alive)


def may_read_private_notes(actor: Actor, analysis: Analysis) -> bool:
    """Private notes belong to the teacher who wrote the analysis (admins: full record only)."""
    return actor.role is UserRole.TEACHER and analysis.teacher_id == actor.user_id


def may_edit_analysis(actor: Actor, analysis: Analysis) -> bool:
    """Only the author edits, flags, notes or continues an analysis."""
    return actor.role is UserRole.TEACHER and analysis.teacher_id == actor.user_id


def require_role(actor: Actor, *roles: UserRole, resource: str = "") -> None:
    """Raise AccessDenied unless the actor has one of `roles`."""
    if actor.role not in roles:
        raise AccessDenied(f"role_{actor.role.lower()}_not_allowed", resource=resource)


def require_admin(actor: Actor, *, resource: str = "") -> None:
    """Raise AccessDenied unless the actor is an admin."""
    require_role(actor, UserRole.ADMIN, resource=resource)
