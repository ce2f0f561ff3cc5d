"""The baseline: raw asyncpg doing only an exchange's writes, and single-row calibration."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid

import asyncpg

from bench.databases import dsn
from bench.interviews import ANSWER, FIRST_QUESTION

BASELINE_TURNS = itertools.count(1000)  # sequence numbers above the seeded turns, never reused
BASELINE_AUDIT = json.dumps(
    {"channel": {"platform": "SHELL", "chatId": "bench"}, "changedFields": ["conversation"]}
)


async def baseline(url: str, analyses: list[tuple[uuid.UUID, uuid.UUID]], seconds: float) -> float:
    """Per connection: BEGIN, two turn INSERTs, the analysis UPDATE, the audit INSERT, COMMIT."""
    connections = await asyncio.gather(*(asyncpg.connect(dsn(url)) for _ in analyses))

    async def writer(conn: asyncpg.Connection, analysis: uuid.UUID, student: uuid.UUID,
                     until: float) -> int:  # fmt: skip
        done = 0
        while time.perf_counter() < until:
            turn = next(BASELINE_TURNS)
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO analysis_conversations (analysis_id, role, content, tokens, "
                    "sequence_number) VALUES ($1, 'USER', $2, 20, $3)",
                    analysis, ANSWER, turn * 2,
                )  # fmt: skip
                await conn.execute(
                    "INSERT INTO analysis_conversations (analysis_id, role, content, tokens, "
                    "sequence_number) VALUES ($1, 'ASSISTANT', $2, 9, $3)",
                    analysis, FIRST_QUESTION, turn * 2 + 1,
                )  # fmt: skip
                await conn.execute(
                    "UPDATE analyses SET total_tokens = total_tokens + 300, "
                    "estimated_cost = estimated_cost + 0.0001, session_duration = "
                    "extract(epoch FROM now() - created_at)::int WHERE id = $1",
                    analysis,
                )
                await conn.execute(
                    "INSERT INTO audit_logs (user_email, user_role, action, resource, "
                    "resource_id, metadata) VALUES ('bench@bench.test', 'TEACHER', 'UPDATE', "
                    "'Analysis', $1, $2::jsonb || jsonb_build_object('studentIds', "
                    "jsonb_build_array($3::text)))",
                    str(analysis), BASELINE_AUDIT, str(student),
                )  # fmt: skip
            done += 1
        return done

    try:
        pairs = list(zip(connections, analyses, strict=True))
        warm = time.perf_counter() + 0.5
        await asyncio.gather(*(writer(c, *a, warm) for c, a in pairs))
        started = time.perf_counter()
        until = started + seconds
        done = await asyncio.gather(*(writer(c, *a, until) for c, a in pairs))
        return sum(done) / (time.perf_counter() - started)
    finally:
        await asyncio.gather(*(c.close() for c in connections))


async def single_row_rate(url: str, connections: int, seconds: float) -> float:
    """Calibration: autocommitted single-row audit INSERTs per second over `connections`."""
    conns = await asyncio.gather(*(asyncpg.connect(dsn(url)) for _ in range(connections)))

    async def writer(conn: asyncpg.Connection, until: float) -> int:
        done = 0
        while time.perf_counter() < until:
            await conn.execute(
                "INSERT INTO audit_logs (user_email, user_role, action, resource, metadata) "
                "VALUES ('bench@bench.test', 'TEACHER', 'READ', 'Calibration', $1::jsonb)",
                BASELINE_AUDIT,
            )
            done += 1
        return done

    try:
        await asyncio.gather(*(writer(c, time.perf_counter() + 0.3) for c in conns))
        started = time.perf_counter()
        done = await asyncio.gather(*(writer(c, started + seconds) for c in conns))
        return sum(done) / (time.perf_counter() - started)
    finally:
        await asyncio.gather(*(c.close() for c in conns))
