"""Rules the database itself enforces: immutable audit log, updated_at, NFC, cascades."""

from __future__ import annotations

import unicodedata
import uuid

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import (
    Analysis,
    AnalysisConversation,
    AuditAction,
    AuditLog,
    ConversationRole,
    School,
    Student,
    User,
    UserRole,
)


async def _school(raw: asyncpg.Connection) -> uuid.UUID:
    return await raw.fetchval("INSERT INTO schools (name, code) VALUES ('s', 'S1') RETURNING id")


async def test_raw_update_of_audit_logs_fails(raw: asyncpg.Connection) -> None:
    await raw.execute("INSERT INTO audit_logs (action, resource) VALUES ('READ', 'Student')")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await raw.execute("UPDATE audit_logs SET resource = 'Nothing'")


async def test_raw_delete_of_audit_logs_fails(raw: asyncpg.Connection) -> None:
    await raw.execute("INSERT INTO audit_logs (action, resource) VALUES ('READ', 'Student')")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await raw.execute("DELETE FROM audit_logs")
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == 1


async def test_truncate_of_audit_logs_fails(raw: asyncpg.Connection) -> None:
    await raw.execute("INSERT INTO audit_logs (action, resource) VALUES ('READ', 'Student')")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await raw.execute("TRUNCATE audit_logs")


async def test_audit_triggers_fire_even_in_replica_mode(raw: asyncpg.Connection) -> None:
    await raw.execute("INSERT INTO audit_logs (action, resource) VALUES ('READ', 'Student')")
    await raw.execute("SET session_replication_role = replica")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await raw.execute("DELETE FROM audit_logs")


async def test_orm_cannot_change_an_audit_row(
    owner_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with owner_session_factory() as session:
        row = AuditLog(action=AuditAction.READ, resource="Student", resource_id="x")
        session.add(row)
        await session.commit()
        row.resource = "Other"
        with pytest.raises(Exception, match="append-only"):
            await session.commit()


async def test_raw_sql_update_changes_updated_at(raw: asyncpg.Connection) -> None:
    school = await _school(raw)
    before = await raw.fetchval("SELECT updated_at FROM schools WHERE id = $1", school)
    async with raw.transaction():  # same transaction: now() would not move, the trigger must
        await raw.execute("UPDATE schools SET name = 'renamed' WHERE id = $1", school)
        after = await raw.fetchval("SELECT updated_at FROM schools WHERE id = $1", school)
    assert after > before


@pytest.mark.parametrize(
    "table",
    ["districts", "schools", "users", "students", "classes", "class_enrollments", "analyses"],
)
async def test_every_table_with_updated_at_has_the_trigger(
    raw: asyncpg.Connection, table: str
) -> None:
    assert (
        await raw.fetchval(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = $1 AND t.tgname = $2",
            table,
            f"{table}_set_updated_at",
        )
        == 1
    )


@pytest.mark.parametrize("name", ["דוד", "José", "שָׁלוֹם"])
async def test_composed_and_decomposed_names_are_stored_equal(
    owner_session_factory: async_sessionmaker[AsyncSession], name: str
) -> None:
    composed = unicodedata.normalize("NFC", name)
    decomposed = unicodedata.normalize("NFD", name)
    async with owner_session_factory() as session:
        school = School(name="s", code="S1")
        session.add(school)
        await session.flush()
        session.add_all(
            [
                Student(first_name=composed, last_name="a", grade_level="5", school_id=school.id),
                Student(first_name=decomposed, last_name="b", grade_level="5", school_id=school.id),
            ]
        )
        await session.commit()
        stored = (await session.scalars(select(Student.first_name))).all()
    assert stored[0] == stored[1] == composed


async def test_unique_constraint_treats_composed_and_decomposed_as_one(
    owner_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with owner_session_factory() as session:
        session.add(School(name="s", code=unicodedata.normalize("NFC", "José-1")))
        await session.commit()
    async with owner_session_factory() as session:
        session.add(School(name="s", code=unicodedata.normalize("NFD", "José-1")))
        with pytest.raises(Exception, match="schools_code_key"):
            await session.commit()


async def test_json_strings_are_normalised_too(
    owner_session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with owner_session_factory() as session:
        school = School(
            name="s", code="S1", settings={"מנהל": unicodedata.normalize("NFD", "José")}
        )
        session.add(school)
        await session.commit()
    async with owner_session_factory() as session:
        stored = await session.scalar(select(School.settings))
    assert stored == {"מנהל": "José"}


async def test_deleting_an_analysis_cascades_only_to_its_conversation(
    owner_session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with owner_session_factory() as session:
        school = School(name="s", code="S1")
        session.add(school)
        await session.flush()
        teacher = User(
            email="t@x", role=UserRole.TEACHER, first_name="t", last_name="t", school_id=school.id
        )
        student = Student(first_name="a", last_name="b", grade_level="5", school_id=school.id)
        session.add_all([teacher, student])
        await session.flush()
        analysis = Analysis(student_id=student.id, teacher_id=teacher.id)
        session.add(analysis)
        await session.flush()
        session.add(
            AnalysisConversation(
                analysis_id=analysis.id,
                role=ConversationRole.SYSTEM,
                content="x",
                sequence_number=1,
            )
        )
        await session.commit()
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await raw.execute("DELETE FROM students")
    await raw.execute("DELETE FROM analyses")
    assert await raw.fetchval("SELECT count(*) FROM analysis_conversations") == 0
    assert await raw.fetchval("SELECT count(*) FROM students") == 1
