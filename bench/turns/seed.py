"""The teachers bench.turns seeds, one interview each, and the analyses its baseline writes to."""

from __future__ import annotations

import uuid

import asyncpg

from bench import interviews
from bench.databases import dsn
from bench.turns.workload import BASELINE_ANALYSES, DB_NAME, SCHOOLS, TEACHERS, WORKSPACE

# The engine's teachers, then one for each baseline connection.
SEED_SQL = interviews.interview_sql(
    prefix="turns",
    teachers=TEACHERS + BASELINE_ANALYSES,
    schools=SCHOOLS,
    identity=f"'SHELL'::chat_platform AS platform, '{WORKSPACE}' AS workspace, "
    "'t' || n AS external",
    database=DB_NAME,
    audited=TEACHERS,
)


async def seed(url: str) -> None:
    """Teachers, each with a student, a chat identity and an interview one question in."""
    await interviews.seed(url, SEED_SQL)


async def baseline_analyses(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(analysis id, student id) of the teachers seeded for the baseline, not the engine."""
    conn = await asyncpg.connect(dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT a.id, a.student_id FROM analyses a "
            "JOIN chat_identities c ON c.user_id = a.teacher_id "
            "WHERE substr(c.external_user_id, 2)::int > $1 ORDER BY c.external_user_id",
            TEACHERS,
        )
        return [(r["id"], r["student_id"]) for r in rows]
    finally:
        await conn.close()
