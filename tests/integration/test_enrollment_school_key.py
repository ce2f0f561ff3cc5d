"""The class's school on each enrollment (0022): written by the database, read by the RLS rules.

A principal's and a teacher's row-level rule on `class_enrollments` is `school_id = the actor's
school`, so the key must always be the class's school: set on insert whatever the statement
said, moved with a class that changes school, filled in by the migration for rows already
there (without touching their `updated_at`); and the rule must show and let write exactly the
rows the join to classes did.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import schema
from tests.service_fixtures import demo_staff

Factory = async_sessionmaker[AsyncSession]


async def _other_school_class(raw: asyncpg.Connection) -> tuple[uuid.UUID, uuid.UUID]:
    """A second school with one class (and its teacher): the rows no demo actor may see."""
    district = await raw.fetchval("SELECT district_id FROM schools LIMIT 1")
    school = await raw.fetchval(
        "INSERT INTO schools (name, code, district_id) VALUES ('Other', 'OTH-1', $1) RETURNING id",
        district,
    )
    teacher = await raw.fetchval(
        "INSERT INTO users (email, first_name, last_name, role, school_id) "
        "VALUES ('t@other.school', 'Tal', 'Other', 'TEACHER', $1) RETURNING id",
        school,
    )
    found = await raw.fetchval(
        "INSERT INTO classes (name, grade_level, school_id, teacher_id) "
        "VALUES ('Other 1', '3', $1, $2) RETURNING id",
        school,
        teacher,
    )
    return uuid.UUID(str(school)), uuid.UUID(str(found))


async def _student(raw: asyncpg.Connection, school: uuid.UUID) -> uuid.UUID:
    found = await raw.fetchval(
        "INSERT INTO students (first_name, last_name, student_id, grade_level, school_id) "
        "VALUES ('Dana', 'Moved', $1, '3', $2) RETURNING id",
        f"X{uuid.uuid4().hex[:6]}",
        school,
    )
    return uuid.UUID(str(found))


async def test_an_enrollment_lands_in_its_classes_school_whatever_the_insert_says(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    home = staff["teacher1"]["school_id"]
    elsewhere, other_class = await _other_school_class(raw)
    demo_class = await raw.fetchval("SELECT id FROM classes WHERE school_id = $1 LIMIT 1", home)
    student = await _student(raw, home)
    enrollment = await raw.fetchval(
        "INSERT INTO class_enrollments (student_id, class_id, school_id) VALUES ($1, $2, $3) "
        "RETURNING id",
        student,
        demo_class,
        elsewhere,
    )
    assert (
        await raw.fetchval("SELECT school_id FROM class_enrollments WHERE id = $1", enrollment)
        == home
    )
    # An update that tries to move the row alone is put back to its class's school.
    await raw.execute(
        "UPDATE class_enrollments SET school_id = $1 WHERE id = $2", elsewhere, enrollment
    )
    assert (
        await raw.fetchval("SELECT school_id FROM class_enrollments WHERE id = $1", enrollment)
        == home
    )
    # Moved to another school's class, it goes with the class; a class moved takes it along.
    await raw.execute(
        "UPDATE class_enrollments SET class_id = $1 WHERE id = $2", other_class, enrollment
    )
    assert (
        await raw.fetchval("SELECT school_id FROM class_enrollments WHERE id = $1", enrollment)
        == elsewhere
    )
    await raw.execute("UPDATE classes SET school_id = $1 WHERE id = $2", home, other_class)
    assert (
        await raw.fetchval("SELECT school_id FROM class_enrollments WHERE id = $1", enrollment)
        == home
    )


async def _visible(app: asyncpg.Connection, actor: asyncpg.Record) -> set[uuid.UUID]:
    """Every enrollment id the actor's transaction sees, with no filter in the query."""
    async with app.transaction():
        who = (actor["id"], actor["role"], actor["school_id"])
        assert await app.fetchval("SELECT ge_act_as($1, $2, $3)", *who) is None
        return {r["id"] for r in await app.fetch("SELECT id FROM class_enrollments")}


@pytest.mark.parametrize("who", ["principal", "teacher1"])
async def test_principals_and_teachers_see_their_schools_enrollments_and_no_other(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection, who: str
) -> None:
    staff = await demo_staff(session_factory, raw)
    actor = staff[who]
    _elsewhere, other_class = await _other_school_class(raw)
    other = await _student(raw, _elsewhere)
    await raw.execute(
        "INSERT INTO class_enrollments (student_id, class_id) VALUES ($1, $2)", other, other_class
    )
    # The rows 0016's rule showed: enrollments of classes of the actor's school.
    expected = {
        r["id"]
        for r in await raw.fetch(
            "SELECT e.id FROM class_enrollments e JOIN classes c ON c.id = e.class_id "
            "WHERE c.school_id = $1",
            actor["school_id"],
        )
    }
    assert expected and await _visible(app, actor) == expected

    # Nor may the actor write an enrollment into another school's class.
    mine = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 LIMIT 1", actor["school_id"]
    )
    async with app.transaction():
        who_args = (actor["id"], actor["role"], actor["school_id"])
        assert await app.fetchval("SELECT ge_act_as($1, $2, $3)", *who_args) is None
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(
                "INSERT INTO class_enrollments (student_id, class_id) VALUES ($1, $2)",
                mine,
                other_class,
            )


async def test_the_migration_fills_the_key_for_rows_already_there_and_keeps_updated_at(
    session_factory: Factory, raw: asyncpg.Connection, owner_database_url: str
) -> None:
    staff = await demo_staff(session_factory, raw)
    home = staff["teacher1"]["school_id"]
    before = dict(await raw.fetch("SELECT id, updated_at FROM class_enrollments"))
    assert before
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0021")
    assert (
        await raw.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'class_enrollments' AND column_name = 'school_id'"
        )
        == 0
    )
    await asyncio.to_thread(schema.upgrade, owner_database_url)
    after = await raw.fetch("SELECT id, updated_at, school_id FROM class_enrollments")
    assert {r["id"]: r["updated_at"] for r in after} == before
    assert {r["school_id"] for r in after} == {home}
