"""Retention: dates straddling 7 years (students) and 2 years (users); dry run; audit untouched."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cli_admin import add_admin_parser, run_admin
from core.actor import actor_for, system_actor
from core.errors import AccessDenied
from core.models import School, User
from core.services.retention import run_retention
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
DAY = "interval '1 day'"
# (key, deleted_at) for students; the boundaries are one day either side of 7 years.
STUDENTS = {
    "gone_7y_ago": f"now() - interval '7 years' - {DAY}",
    "gone_10y_ago": "now() - interval '10 years'",
    "gone_almost_7y": f"now() - interval '7 years' + {DAY}",
    "gone_last_year": "now() - interval '1 year'",
    "live": "NULL",
}
# (key, is_active, updated_at, deleted_at) for users, around 2 years.
USERS = {
    "deleted_2y_ago": ("true", "now()", f"now() - interval '2 years' - {DAY}"),
    "deleted_almost_2y": ("true", "now()", f"now() - interval '2 years' + {DAY}"),
    "inactive_2y": ("false", f"now() - interval '2 years' - {DAY}", "NULL"),
    "inactive_almost_2y": ("false", f"now() - interval '2 years' + {DAY}", "NULL"),
    "active_untouched_3y": ("true", "now() - interval '3 years'", "NULL"),
}
EXPECTED_STUDENTS = {"gone_7y_ago", "gone_10y_ago"}
EXPECTED_USERS = {"deleted_2y_ago", "inactive_2y"}


@pytest.fixture
async def ids(raw: asyncpg.Connection) -> dict[str, Any]:
    """The scenario, written with explicit times (inserts do not fire the updated_at trigger)."""
    school = await raw.fetchval(
        "INSERT INTO schools (code, name) VALUES ('RET', 'Retention school') RETURNING id"
    )
    found: dict[str, Any] = {"school": school}
    for n, (key, deleted) in enumerate(STUDENTS.items()):
        found[key] = await raw.fetchval(
            "INSERT INTO students (first_name, last_name, student_id, grade_level, school_id, "
            "date_of_birth, gender, notes, deleted_at) VALUES ($1, 'Levi', $2, '5', $3, "
            f"'2010-05-01', 'F', 'allergic to nuts', {deleted}) RETURNING id",
            key, f"ID{n}", school,
        )  # fmt: skip
    for key, (active, updated, deleted) in USERS.items():
        found[key] = await raw.fetchval(
            "INSERT INTO users (email, role, first_name, last_name, school_id, phone, avatar, "
            "password_hash, provider_id, is_active, updated_at, deleted_at) VALUES "
            f"($1, 'TEACHER', $2, 'Cohen', $3, '050-1234567', 'a.png', '$2b$10$x', 'g-1', "
            f"{active}, {updated}, {deleted}) RETURNING id",
            f"{key}@ret.school", key, school,
        )  # fmt: skip
    return found


async def snapshot(raw: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables retention may touch, and of the audit trail."""
    return {
        table: [dict(r) for r in await raw.fetch(f"SELECT * FROM {table} ORDER BY id")]
        for table in ("students", "users", "audit_logs")
    }


async def retention(factory: Factory, *, dry_run: bool) -> Any:
    """One run as the system actor (cron)."""
    async with seeding(factory) as uow:
        return await run_retention(uow=uow, actor=system_actor(), dry_run=dry_run)


async def last_audit(raw: asyncpg.Connection) -> tuple[str, dict[str, Any]]:
    """The newest audit row's action and metadata."""
    row = await raw.fetchrow("SELECT * FROM audit_logs ORDER BY created_at DESC, id LIMIT 1")
    return row["action"], json.loads(row["metadata"])


async def test_dry_run_reports_the_counts_and_changes_nothing(
    session_factory: Factory, raw: asyncpg.Connection, ids: dict[str, Any]
) -> None:
    before = await snapshot(raw)
    report = await retention(session_factory, dry_run=True)
    assert set(report.student_ids) == {ids[k] for k in EXPECTED_STUDENTS}
    assert set(report.user_ids) == {ids[k] for k in EXPECTED_USERS}
    after = await snapshot(raw)
    assert after["students"] == before["students"] and after["users"] == before["users"]
    assert len(after["audit_logs"]) == len(before["audit_logs"]) + 1
    action, meta = await last_audit(raw)
    assert action == "READ" and meta["dryRun"] is True
    assert (meta["studentCount"], meta["userCount"]) == (2, 2)
    assert set(meta["studentIds"]) == {str(ids[k]) for k in EXPECTED_STUDENTS}
    assert set(meta["userIds"]) == {str(ids[k]) for k in EXPECTED_USERS}


async def test_the_real_run_anonymises_exactly_the_expected_rows_once(
    session_factory: Factory, raw: asyncpg.Connection, ids: dict[str, Any]
) -> None:
    before = await snapshot(raw)
    report = await retention(session_factory, dry_run=False)
    assert set(report.student_ids) == {ids[k] for k in EXPECTED_STUDENTS}
    assert set(report.user_ids) == {ids[k] for k in EXPECTED_USERS}
    after = await snapshot(raw)
    old = {r["id"]: r for r in before["students"] + before["users"]}
    for row in after["students"]:
        key = next(k for k in STUDENTS if ids[k] == row["id"])
        if key in EXPECTED_STUDENTS:
            assert (row["first_name"], row["last_name"]) == ("REDACTED", "REDACTED")
            assert (row["student_id"], row["notes"], row["date_of_birth"]) == (None, None, None)
            assert row["deleted_at"] == old[row["id"]]["deleted_at"]  # still soft-deleted
        else:
            assert row == old[row["id"]], key
    for row in after["users"]:
        key = next(k for k in USERS if ids[k] == row["id"])
        if key in EXPECTED_USERS:
            assert row["email"] == f"redacted+{row['id']}@invalid"
            assert (row["first_name"], row["last_name"]) == ("REDACTED", "REDACTED")
            pii = ("phone", "avatar", "password_hash", "provider_id")
            assert [row[f] for f in pii] == [None] * 4
        else:
            assert row == old[row["id"]], key
    # The audit trail only grew: every earlier row is byte for byte what it was.
    assert after["audit_logs"][: len(before["audit_logs"])] == before["audit_logs"]
    action, meta = await last_audit(raw)
    assert action == "UPDATE" and meta["dryRun"] is False
    assert (meta["studentCount"], meta["userCount"]) == (2, 2)
    assert set(meta["studentIds"]) == {str(ids[k]) for k in EXPECTED_STUDENTS}
    again = await retention(session_factory, dry_run=False)  # the next day's cron
    assert (again.student_ids, again.user_ids) == ([], [])
    assert (await snapshot(raw))["users"] == after["users"]
    assert (await last_audit(raw))[1]["studentCount"] == 0


async def test_retention_is_admin_only(
    session_factory: Factory, raw: asyncpg.Connection, ids: dict[str, Any]
) -> None:
    async with seeding(session_factory) as uow:
        school = await uow.session.get(School, ids["school"])
        teacher = await uow.session.get(User, ids["active_untouched_3y"])
        assert school is not None and teacher is not None
        with pytest.raises(AccessDenied):
            await run_retention(uow=uow, actor=actor_for(teacher, school, system_actor().channel))
    assert await raw.fetchval("SELECT count(*) FROM users WHERE first_name = 'REDACTED'") == 0


async def test_the_cli_runs_retention_for_cron(
    database_url: str, raw: asyncpg.Connection, ids: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    parser = argparse.ArgumentParser()
    add_admin_parser(parser.add_subparsers(dest="command"))
    dry = parser.parse_args(["admin", "retention", "--dry-run"])
    assert await asyncio.to_thread(run_admin, dry, database_url) == 0
    assert capsys.readouterr().out.startswith(
        "Dry run: 2 students and 2 users would be anonymised. Nothing was changed."
    )
    assert await raw.fetchval("SELECT count(*) FROM students WHERE first_name = 'REDACTED'") == 0
    # Without --yes (and no one at a terminal to ask) nothing is anonymised: exit 1, and why.
    unconfirmed = parser.parse_args(["admin", "retention"])
    assert await asyncio.to_thread(run_admin, unconfirmed, database_url) == 1
    asked = capsys.readouterr()
    assert asked.out.startswith("Retention would anonymise 2 students and 2 users now.")
    assert "add --yes" in asked.err
    assert await raw.fetchval("SELECT count(*) FROM students WHERE first_name = 'REDACTED'") == 0
    real = parser.parse_args(["admin", "retention", "--yes"])
    assert await asyncio.to_thread(run_admin, real, database_url) == 0
    out = capsys.readouterr().out
    assert out.startswith("Retention: anonymised 2 students and 2 users.")
    assert str(ids["gone_7y_ago"]) in out or str(ids["gone_10y_ago"]) in out
    assert await raw.fetchval("SELECT count(*) FROM students WHERE first_name = 'REDACTED'") == 2
