"""The teachers bench.turns seeds, one interview each (the engine and the baseline share them)."""

from __future__ import annotations

from bench import interviews
from bench.turns.workload import DB_NAME, SCHOOLS, TEACHERS, WORKSPACE

SEED_SQL = interviews.interview_sql(
    prefix="turns",
    teachers=TEACHERS,
    schools=SCHOOLS,
    identity=f"'SHELL'::chat_platform AS platform, '{WORKSPACE}' AS workspace, "
    "'t' || n AS external",
    database=DB_NAME,
    audited=TEACHERS,
)


async def seed(url: str) -> None:
    """Teachers, each with a student, a chat identity and an interview one question in."""
    await interviews.seed(url, SEED_SQL)
