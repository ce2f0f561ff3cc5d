"""The school's key on analyses, flags and themes (0017): written by the database, not a caller.

A principal's row-level rule reads `school_id` on these rows instead of joining students, so the
key must always be the student's school: set on insert whatever the statement said, carried to
the flag and theme rows, moved with a student who changes school, and filled in by the
migration for rows already there (without touching their `updated_at`).
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
KEYS = (
    "SELECT a.school_id AS analysis, "
    "(SELECT array_agg(DISTINCT f.school_id) FROM analysis_flags f WHERE f.analysis_id = a.id) "
    "AS flags, "
    "(SELECT array_agg(DISTINCT t.school_id) FROM analysis_themes t WHERE t.analysis_id = a.id) "
    "AS themes FROM analyses a WHERE a.id = $1"
)
RESULTS = '{"strengths": ["Reads fluently"], "weaknesses": ["Rushes sums"]}'


async def _other_school(raw: asyncpg.Connection) -> uuid.UUID:
    district = await raw.fetchval("SELECT district_id FROM schools LIMIT 1")
    return uuid.UUID(
        str(
            await raw.fetchval(
                "INSERT INTO schools (name, code, district_id) VALUES ('Other', 'OTH-1', $1) "
                "RETURNING id",
                district,
            )
        )
    )


async def _flagged_analysis(
    raw: asyncpg.Connection, student: uuid.UUID, teacher: uuid.UUID, school: uuid.UUID
) -> uuid.UUID:
    """An analysis inserted by the owner claiming `school`, flagged, with themes."""
    return uuid.UUID(
        str(
            await raw.fetchval(
                "INSERT INTO analyses (student_id, teacher_id, school_id, results, "
                "flagged_for_review) VALUES ($1, $2, $3, $4::jsonb, true) RETURNING id",
                student,
                teacher,
                school,
                RESULTS,
            )
        )
    )


async def test_an_analysis_lands_in_its_students_school_whatever_the_insert_says(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    student = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 LIMIT 1", teacher["school_id"]
    )
    elsewhere = await _other_school(raw)
    analysis = await _flagged_analysis(raw, student, teacher["id"], elsewhere)
    keys = await raw.fetchrow(KEYS, analysis)
    assert keys["analysis"] == teacher["school_id"]
    assert keys["flags"] == [teacher["school_id"]]
    assert keys["themes"] == [teacher["school_id"]]
    # An update that tries to move the row alone is put back to the student's school.
    await raw.execute("UPDATE analyses SET school_id = $1 WHERE id = $2", elsewhere, analysis)
    assert (await raw.fetchrow(KEYS, analysis))["analysis"] == teacher["school_id"]


async def test_a_student_moved_to_another_school_takes_analyses_flags_and_themes_along(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher, principal = staff["teacher1"], staff["principal"]
    student = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 LIMIT 1", teacher["school_id"]
    )
    analysis = await _flagged_analysis(raw, student, teacher["id"], teacher["school_id"])
    elsewhere = await _other_school(raw)
    await raw.execute("UPDATE students SET school_id = $1 WHERE id = $2", elsewhere, student)
    keys = await raw.fetchrow(KEYS, analysis)
    moved = (keys["analysis"], keys["flags"], keys["themes"])
    assert moved == (elsewhere, [elsewhere], [elsewhere])
    # The old school's principal no longer sees any of it under row-level security.
    async with app.transaction():
        who = (principal["id"], principal["role"], principal["school_id"])
        reason = await app.fetchval("SELECT ge_act_as($1, $2, $3)", *who)
        assert reason is None
        for table, key in (
            ("analyses", "id"),
            ("analysis_flags", "analysis_id"),
            ("analysis_themes", "analysis_id"),
        ):
            seen = await app.fetchval(f"SELECT count(*) FROM {table} WHERE {key} = $1", analysis)
            assert seen == 0, table


@pytest.mark.parametrize("table", ["analyses", "analysis_flags", "analysis_themes"])
async def test_the_migration_fills_the_key_for_rows_already_there_and_keeps_updated_at(
    session_factory: Factory, raw: asyncpg.Connection, owner_database_url: str, table: str
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    student = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 LIMIT 1", teacher["school_id"]
    )
    analysis = await _flagged_analysis(raw, student, teacher["id"], teacher["school_id"])
    before = await raw.fetchval("SELECT updated_at FROM analyses WHERE id = $1", analysis)
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0016")
    await asyncio.to_thread(schema.upgrade, owner_database_url)
    key = "id" if table == "analyses" else "analysis_id"
    schools = await raw.fetch(f"SELECT DISTINCT school_id FROM {table} WHERE {key} = $1", analysis)
    assert [row[0] for row in schools] == [teacher["school_id"]]
    assert await raw.fetchval(f"SELECT count(*) FROM {table} WHERE school_id IS NULL") == 0
    after = await raw.fetchval("SELECT updated_at FROM analyses WHERE id = $1", analysis)
    assert after == before
