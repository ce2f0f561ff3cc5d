"""seed-demo: the demo school exactly as described, and idempotent."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.demo import DROPPED_STUDENT, SHARED_STUDENT, seed_demo
from tests.service_fixtures import seeding

COUNTS = ("districts", "schools", "users", "classes", "students", "class_enrollments")


async def _counts(raw: asyncpg.Connection) -> dict[str, int]:
    return {t: await raw.fetchval(f"SELECT count(*) FROM {t}") for t in COUNTS}


async def test_seed_demo_creates_the_demo_school_once(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    first = await _counts(raw)
    assert first == {
        "districts": 1,
        "schools": 1,
        "users": 4,
        "classes": 4,
        "students": 40,
        "class_enrollments": 41,
    }
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    assert await _counts(raw) == first

    emails = {r["email"] for r in await raw.fetch("SELECT email FROM users")}
    assert emails == {
        "admin@demo.school",
        "principal@demo.school",
        "teacher1@demo.school",
        "teacher2@demo.school",
    }
    assert any("\u0590" <= c <= "\u05ff" for c in await raw.fetchval("SELECT name FROM schools"))
    names = {
        r["n"] for r in await raw.fetch("SELECT first_name || ' ' || last_name AS n FROM students")
    }
    assert "בן-ציון כהן" in names and "Liam O'Brien" in names and "מִרְיָם לֵוִי" in names
    assert any(any(c in n for c in "ךםןףץ") for n in names)

    teachers_of_shared = await raw.fetchval(
        "SELECT count(DISTINCT c.teacher_id) FROM class_enrollments e "
        "JOIN classes c ON c.id = e.class_id JOIN students s ON s.id = e.student_id "
        "WHERE s.student_id = $1",
        SHARED_STUDENT,
    )
    assert teachers_of_shared == 2
    dropped = await raw.fetch(
        "SELECT s.student_id FROM class_enrollments e JOIN students s ON s.id = e.student_id "
        "WHERE e.dropped_at IS NOT NULL"
    )
    assert [r["student_id"] for r in dropped] == [DROPPED_STUDENT]
