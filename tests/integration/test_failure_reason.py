"""Why a FAILED analysis failed is on it (`failure_reason`, 0021), written with its status.

History and the resume offer read it there; before, each searched the partitioned audit trail
from the analysis's creation on (Year 3: 7-25 ms of a teacher's `history`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import schema
from core.actor import Actor, Channel
from core.models import UserRole
from core.services import analyses, history, review
from tests.service_fixtures import Run, demo_staff

Factory = async_sessionmaker[AsyncSession]
AT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _teacher(row: asyncpg.Record) -> Actor:
    return Actor(row["id"], row["email"], UserRole.TEACHER, row["school_id"], None, Channel("CLI"))


async def _taught(raw: asyncpg.Connection, teacher: asyncpg.Record) -> uuid.UUID:
    found = await raw.fetchval(
        "SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id "
        "WHERE c.teacher_id = $1 LIMIT 1",
        teacher["id"],
    )
    return uuid.UUID(str(found))


async def _started(run: Run, teacher: Actor, student: uuid.UUID) -> uuid.UUID:
    started = await run(
        analyses.start_analysis, teacher, student_id=student, system_prompt="You ask."
    )
    return started.analysis_id


async def test_a_failed_analysis_carries_its_reason_and_history_shows_it(
    session_factory: Factory, raw: asyncpg.Connection, run: Run
) -> None:
    row = (await demo_staff(session_factory, raw))["teacher1"]
    teacher, student = _teacher(row), await _taught(raw, row)
    failed = await _started(run, teacher, student)
    await run(analyses.mark_failed, teacher, analysis_id=failed, reason="ai_unavailable")
    stored = await raw.fetchrow("SELECT status, failure_reason FROM analyses WHERE id = $1", failed)
    assert (str(stored["status"]), stored["failure_reason"]) == ("FAILED", "ai_unavailable")
    audit = await raw.fetchval(
        "SELECT metadata FROM audit_logs WHERE resource_id = $1 ORDER BY created_at DESC LIMIT 1",
        str(failed),
    )
    assert json.loads(audit)["reason"] == "ai_unavailable"  # the audit row still says why

    items = await run(history.student_history, teacher, student_id=student)
    assert [(i.analysis_id, i.reason) for i in items] == [(failed, "ai_unavailable")]

    # Reopened for a retry, it is in progress again and carries no reason.
    await run(analyses.reopen_for_retry, teacher, analysis_id=failed)
    reopened = await raw.fetchrow(
        "SELECT status, failure_reason FROM analyses WHERE id = $1", failed
    )
    assert (str(reopened["status"]), reopened["failure_reason"]) == ("IN_PROGRESS", None)
    items = await run(history.student_history, teacher, student_id=student)
    assert [(i.status, i.reason) for i in items] == [("IN_PROGRESS", None)]


async def test_a_discarded_draft_fails_as_discarded(
    session_factory: Factory, raw: asyncpg.Connection, run: Run
) -> None:
    row = (await demo_staff(session_factory, raw))["teacher1"]
    teacher = _teacher(row)
    dropped = await _started(run, teacher, await _taught(raw, row))
    await run(review.discard_analysis, teacher, analysis_id=dropped)
    stored = await raw.fetchrow(
        "SELECT status, failure_reason FROM analyses WHERE id = $1", dropped
    )
    assert (str(stored["status"]), stored["failure_reason"]) == ("FAILED", "discarded")


async def test_only_a_failed_analysis_may_carry_a_reason(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    row = (await demo_staff(session_factory, raw))["teacher1"]
    student = await _taught(raw, row)
    with pytest.raises(asyncpg.CheckViolationError):
        await raw.execute(
            "INSERT INTO analyses (student_id, teacher_id, status, failure_reason) "
            "VALUES ($1, $2, 'IN_PROGRESS', 'cancelled')",
            student,
            row["id"],
        )


async def _failed_with_audit(
    raw: asyncpg.Connection, teacher: asyncpg.Record, student: uuid.UUID, reasons: list[str]
) -> uuid.UUID:
    """A FAILED analysis as 0020 kept it: its reasons only in audit rows, a minute apart."""
    found = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id, status, created_at, updated_at) "
        "VALUES ($1, $2, 'FAILED', $3, $3) RETURNING id",
        student,
        teacher["id"],
        AT,
    )
    for n, reason in enumerate(reasons, start=1):
        await raw.execute(
            "INSERT INTO audit_logs (user_id, user_email, user_role, action, resource, "
            "resource_id, metadata, created_at) VALUES ($1, $2, 'TEACHER', 'UPDATE', "
            "'Analysis', $3, $4, $5)",
            str(teacher["id"]),
            teacher["email"],
            str(found),
            json.dumps({"reason": reason, "changedFields": ["status"]}),
            AT + timedelta(minutes=n),
        )
    return uuid.UUID(str(found))


async def test_the_migration_fills_each_failed_analysis_with_its_latest_audited_reason(
    session_factory: Factory, raw: asyncpg.Connection, owner_database_url: str
) -> None:
    row = (await demo_staff(session_factory, raw))["teacher1"]
    student = await _taught(raw, row)
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0020")
    assert (
        await raw.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'analyses' AND column_name = 'failure_reason'"
        )
        == 0
    )
    retried = await _failed_with_audit(raw, row, student, ["ai_unavailable", "retry", "expired"])
    cancelled = await _failed_with_audit(raw, row, student, ["cancelled"])
    silent = await _failed_with_audit(raw, row, student, [])
    before = await raw.fetchval("SELECT updated_at FROM analyses WHERE id = $1", retried)

    await asyncio.to_thread(schema.upgrade, owner_database_url)
    found = dict(
        await raw.fetch(
            "SELECT id, failure_reason FROM analyses WHERE id = ANY($1::uuid[])",
            [retried, cancelled, silent],
        )
    )
    assert found == {retried: "expired", cancelled: "cancelled", silent: None}
    # The backfill changed nothing anyone reads as the analysis's last change.
    assert await raw.fetchval("SELECT updated_at FROM analyses WHERE id = $1", retried) == before
