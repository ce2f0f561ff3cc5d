"""The exchange's statements are planned once per connection, generic from their first run."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_driver_pool, make_session_factory
from core.models import ConversationRole
from core.services import analyses, turns
from tests.integration.test_student_record import actors, call

EXCHANGES = 7


async def test_a_hot_path_connection_never_plans_an_exchange_statement_custom(
    engine: AsyncEngine, database_url: str, raw: asyncpg.Connection
) -> None:
    # One connection, so every exchange's statements run on it. PostgreSQL's default would plan
    # each of them custom five times first (under row-level security, at three times the cost).
    pool = make_driver_pool(database_url, size=1)
    try:
        factory = make_session_factory(engine, pool)
        teacher = (await actors(factory))["teacher1"]
        sid = await raw.fetchval("SELECT id FROM students WHERE student_id = 'S1000'")
        snap = await call(factory, analyses.start_analysis, teacher, student_id=sid,
                          system_prompt="x")  # fmt: skip
        for n in range(EXCHANGES):
            await call(factory, turns.append_turn, teacher, analysis_id=snap.analysis_id,
                       role=ConversationRole.USER, content=f"answer {n}")  # fmt: skip
            await call(factory, turns.append_question, teacher, analysis_id=snap.analysis_id,
                       content=f"question {n}")  # fmt: skip
        conn = await pool.acquire()
        try:
            plans = await conn.fetch(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'WITH mine AS%'"
            )
        finally:
            await pool.release(conn)
    finally:
        await pool.close()
    assert len(plans) == 2  # the teacher's turn and the question
    assert [row["custom_plans"] for row in plans] == [0, 0]
    assert all(row["generic_plans"] == EXCHANGES for row in plans)
