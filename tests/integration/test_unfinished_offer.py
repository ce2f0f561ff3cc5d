"""Which analysis a teacher is offered to resume or retry: the newest IN_PROGRESS one, or the
newest FAILED one for any reason but `cancelled`, however many cancelled ones came after it.

The reason is on the analysis (`failure_reason`, 0021), written with its status; the backfill of
the reasons the audit trail held is in test_failure_reason.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel
from core.models import UserRole
from core.services.analyses import latest_unfinished
from tests.service_fixtures import Run, demo_staff

Factory = async_sessionmaker[AsyncSession]
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
MANY = 12  # more cancelled analyses than a screen of them


async def _analysis(
    raw: asyncpg.Connection, teacher: asyncpg.Record, status: str, minutes: int, reason: str | None
) -> uuid.UUID:
    student = await raw.fetchval(
        "SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id "
        "WHERE c.teacher_id = $1 LIMIT 1",
        teacher["id"],
    )
    at = START + timedelta(minutes=minutes)
    found = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id, status, created_at, failure_reason) "
        "VALUES ($1, $2, $3::analysis_status, $4, $5) RETURNING id",
        student,
        teacher["id"],
        status,
        at,
        reason,
    )
    return uuid.UUID(str(found))


def _teacher(row: asyncpg.Record) -> Actor:
    return Actor(row["id"], row["email"], UserRole.TEACHER, row["school_id"], None, Channel("CLI"))


async def test_an_interview_older_than_a_page_of_cancelled_ones_is_still_offered(
    session_factory: Factory, raw: asyncpg.Connection, run: Run
) -> None:
    teacher = (await demo_staff(session_factory, raw))["teacher1"]
    kept = await _analysis(raw, teacher, "IN_PROGRESS", 0, None)
    for n in range(MANY):
        await _analysis(raw, teacher, "FAILED", 10 + n, "cancelled")
    offered = await run(latest_unfinished, _teacher(teacher))
    assert offered is not None and offered.analysis_id == kept


async def test_a_failed_analysis_is_offered_with_its_reason_unless_it_was_cancelled(
    session_factory: Factory, raw: asyncpg.Connection, run: Run
) -> None:
    teacher = (await demo_staff(session_factory, raw))["teacher1"]
    await _analysis(raw, teacher, "IN_PROGRESS", 0, None)
    failed = await _analysis(raw, teacher, "FAILED", 5, "ai_unavailable")
    await _analysis(raw, teacher, "FAILED", 10, "cancelled")
    offered = await run(latest_unfinished, _teacher(teacher))
    assert offered is not None and offered.analysis_id == failed
    assert offered.failure_reason == "ai_unavailable"


async def test_nothing_is_offered_when_every_unfinished_analysis_was_cancelled(
    session_factory: Factory, raw: asyncpg.Connection, run: Run
) -> None:
    teacher = (await demo_staff(session_factory, raw))["teacher1"]
    for n in range(MANY):
        await _analysis(raw, teacher, "FAILED", n, "cancelled")
    assert await run(latest_unfinished, _teacher(teacher)) is None
