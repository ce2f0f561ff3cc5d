"""Soft delete and restore: admin only, audited, invisible to others, and never a real DELETE."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel, actor_for, system_actor
from core.audit import record
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import (
    Analysis,
    AuditAction,
    Class,
    ClassEnrollment,
    School,
    Student,
    User,
    UserRole,
)
from core.services.lifecycle import restore, soft_delete
from core.services.students import list_my_students
from tests.service_fixtures import Run, last_audit, seeding

Factory = async_sessionmaker[AsyncSession]
SHELL = Channel("SHELL")
TABLES = ("schools", "users", "students", "classes", "class_enrollments", "analyses")


@dataclass(frozen=True)
class World:
    """One school: an admin, a principal, a teacher with a class of one student, an analysis."""

    admin: Actor
    principal: Actor
    teacher: Actor
    student: uuid.UUID
    klass: uuid.UUID
    analysis: uuid.UUID


@pytest.fixture
async def world(session_factory: Factory) -> World:
    """The school, written with the ORM and audited as the system, like the demo seed."""
    async with seeding(session_factory) as uow:
        school = School(code="A", name="בית ספר א")
        uow.session.add(school)
        await uow.session.flush()
        admin, principal, teacher = (
            User(
                email=f"{r.lower()}@a.school",
                role=r,
                school_id=school.id,
                first_name="N",
                last_name=r.title(),
            )
            for r in (UserRole.ADMIN, UserRole.PRINCIPAL, UserRole.TEACHER)
        )
        uow.session.add_all([admin, principal, teacher])
        await uow.session.flush()
        student = Student(first_name="יעל", last_name="מזרחי", grade_level="5", school_id=school.id)
        klass = Class(name="ה'1", teacher_id=teacher.id, school_id=school.id)
        uow.session.add_all([student, klass])
        await uow.session.flush()
        analysis = Analysis(student_id=student.id, teacher_id=teacher.id)
        uow.session.add_all([ClassEnrollment(student_id=student.id, class_id=klass.id), analysis])
        await uow.session.flush()
        record(uow, system_actor(), AuditAction.CREATE, "Fixture", "lifecycle")
        await uow.commit()
    return World(
        actor_for(admin, school, SHELL),
        actor_for(principal, school, SHELL),
        actor_for(teacher, school, SHELL),
        student.id,
        klass.id,
        analysis.id,
    )


async def counts(raw: asyncpg.Connection) -> dict[str, int]:
    """Row counts of every lifecycle table."""
    return {t: await raw.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def visible_ids(run: Run, actor: Actor) -> set[uuid.UUID]:
    """Ids of the students `actor` sees in their list."""
    return {s.id for s in (await run(list_my_students, actor)).items}


async def test_deleted_student_vanishes_and_comes_back(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    before = await counts(raw)
    stamp = await raw.fetchval("SELECT updated_at FROM students WHERE id = $1", world.student)
    assert await visible_ids(run, world.principal) == {world.student}

    change = await run(
        soft_delete, world.admin, kind="student", id=world.student, reason="left the school"
    )
    assert change.deleted_at is not None
    audit = await last_audit(raw)
    assert (audit["action"], audit["resource"], audit["resource_id"]) == (
        "DELETE",
        "Student",
        str(world.student),
    )
    assert audit["metadata"]["studentIds"] == [str(world.student)]
    assert audit["metadata"]["reason"] == "left the school"
    assert await visible_ids(run, world.principal) == set()
    assert await visible_ids(run, world.teacher) == set()
    row = await raw.fetchrow("SELECT * FROM students WHERE id = $1", world.student)
    assert row["deleted_at"] is not None and row["updated_at"] > stamp

    change = await run(restore, world.admin, kind="student", id=world.student)
    assert change.deleted_at is None
    audit = await last_audit(raw)
    assert (audit["action"], audit["metadata"]["changedFields"]) == ("UPDATE", ["deleted_at"])
    assert audit["metadata"]["studentIds"] == [str(world.student)]
    assert await visible_ids(run, world.principal) == {world.student}
    assert await counts(raw) == before


async def test_double_delete_and_live_restore_conflict(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    with pytest.raises(Conflict, match=f"Class {world.klass} is not deleted"):
        await run(restore, world.admin, kind="class", id=world.klass)
    await run(soft_delete, world.admin, kind="class", id=world.klass)
    with pytest.raises(Conflict, match="already deleted"):
        await run(soft_delete, world.admin, kind="class", id=world.klass)
    audit = await last_audit(raw)
    assert audit["metadata"]["failed"] is True and audit["metadata"]["error"] == "conflict"


@pytest.mark.parametrize("who", ["principal", "teacher"])
async def test_non_admins_cannot_delete_or_restore(
    run: Run, raw: asyncpg.Connection, world: World, who: str
) -> None:
    actor = getattr(world, who)
    for fn in (soft_delete, restore):
        with pytest.raises(AccessDenied):
            await run(fn, actor, kind="student", id=world.student)
        audit = await last_audit(raw)
        assert audit["metadata"]["denied"] is True
        assert audit["metadata"]["reason"] == f"role_{who}_not_allowed"
        assert audit["resource"] == "Student"
    deleted = await raw.fetchval("SELECT deleted_at FROM students WHERE id = $1", world.student)
    assert deleted is None


async def test_deleting_an_analysis_names_its_student(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    await run(soft_delete, world.admin, kind="analysis", id=world.analysis)
    audit = await last_audit(raw)
    assert (audit["resource"], audit["metadata"]["studentIds"]) == (
        "Analysis",
        [str(world.student)],
    )
    await run(restore, world.admin, kind="analysis", id=world.analysis)
    assert await raw.fetchval("SELECT deleted_at FROM analyses") is None


async def test_deleted_class_hides_its_students_from_the_teacher(run: Run, world: World) -> None:
    assert await visible_ids(run, world.teacher) == {world.student}
    await run(soft_delete, world.admin, kind="class", id=world.klass)
    assert await visible_ids(run, world.teacher) == set()
    assert await visible_ids(run, world.principal) == {world.student}


async def test_deleted_user_is_refused_and_admin_cannot_delete_self(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    await run(soft_delete, world.admin, kind="user", id=world.teacher.user_id)
    with pytest.raises(AccessDenied, match="user_deleted"):
        await run(list_my_students, world.teacher)
    audit = await last_audit(raw)
    assert audit["metadata"]["denied"] is True and audit["metadata"]["reason"] == "user_deleted"
    with pytest.raises(AccessDenied, match="cannot_delete_self"):
        await run(soft_delete, world.admin, kind="user", id=world.admin.user_id)
    assert await raw.fetchval("SELECT count(*) FROM users WHERE deleted_at IS NOT NULL") == 1
    await run(restore, world.admin, kind="user", id=world.teacher.user_id)
    assert await visible_ids(run, world.teacher) == {world.student}


async def test_unknown_kind_or_id(run: Run, world: World) -> None:
    with pytest.raises(InvalidInput, match="kind: unknown kind 'school'"):
        await run(soft_delete, world.admin, kind="school", id=uuid.uuid4())
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"Student not found: {missing}"):
        await run(soft_delete, world.admin, kind="student", id=missing)


async def test_nothing_is_ever_physically_deleted(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    before = await counts(raw)
    audit_before = await raw.fetchval("SELECT count(*) FROM audit_logs")
    targets = [
        ("analysis", world.analysis),
        ("student", world.student),
        ("class", world.klass),
        ("user", world.teacher.user_id),
    ]
    for kind, id in targets:
        await run(soft_delete, world.admin, kind=kind, id=id)
    assert await counts(raw) == before
    assert await raw.fetchval("SELECT count(*) FROM students WHERE deleted_at IS NOT NULL") == 1
    for kind, id in reversed(targets):
        await run(restore, world.admin, kind=kind, id=id)
    assert await counts(raw) == before
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == audit_before + 8
