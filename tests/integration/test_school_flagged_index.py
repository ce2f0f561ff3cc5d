"""A principal's flagged analyses are read by the school's key under row-level security (0020).

The principal's rule on `analyses` compares `school_id` with a value the planner learns only at
run time; without an index of the school's flagged analyses, `flagged` met the school's flags
by a bitmap AND with every school's flagged analyses (Year 3: 91,200 rows read for 300).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import schema
from tests.service_fixtures import demo_staff

Factory = async_sessionmaker[AsyncSession]
INDEX = "ix_analyses_school_flagged"
# The flagged list's condition on analyses, as core/services/flagged.py writes it.
FLAGGED = "SELECT id FROM analyses WHERE flagged_for_review IS true AND deleted_at IS NULL"


def _scans(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if "Scan" in plan.get("Node Type", "") else []
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


async def _principal_plan(app: asyncpg.Connection, principal: asyncpg.Record) -> dict[str, Any]:
    async with app.transaction():
        who = (principal["id"], principal["role"], principal["school_id"])
        assert await app.fetchval("SELECT ge_act_as($1, $2, $3)", *who) is None
        # The demo school is a few rows: scanning the table whole would be cheaper here than
        # any index, as it never is at scale.
        await app.execute("SET LOCAL enable_seqscan = off")
        plan = await app.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {FLAGGED}")
    return dict((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])


async def test_a_principals_flagged_analyses_are_read_by_the_schools_flagged_index(
    session_factory: Factory,
    raw: asyncpg.Connection,
    app: asyncpg.Connection,
    owner_database_url: str,
) -> None:
    staff = await demo_staff(session_factory, raw)
    principal, teacher = staff["principal"], staff["teacher1"]
    students = await raw.fetch(
        "SELECT id FROM students WHERE school_id = $1 LIMIT 3", teacher["school_id"]
    )
    for flagged, student in zip((True, True, False), students, strict=True):
        await raw.execute(
            "INSERT INTO analyses (student_id, teacher_id, results, flagged_for_review) "
            "VALUES ($1, $2, '{}'::jsonb, $3)",
            student["id"],
            teacher["id"],
            flagged,
        )
    await raw.execute("ANALYZE analyses")
    scans = _scans(await _principal_plan(app, principal))
    assert [scan.get("Index Name") for scan in scans] == [INDEX]
    # Only the school's flagged, live analyses are read, none thrown away.
    assert scans[0]["Actual Rows"] == 2
    assert scans[0].get("Rows Removed by Filter", 0) == 0

    await asyncio.to_thread(schema.downgrade, owner_database_url, "0019")
    assert await raw.fetchval("SELECT to_regclass($1)", INDEX) is None
    await asyncio.to_thread(schema.upgrade, owner_database_url)
    assert await raw.fetchval("SELECT to_regclass($1)", INDEX) is not None
