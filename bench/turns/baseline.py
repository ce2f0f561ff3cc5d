"""Context only: the rate of autocommitted single-row INSERTs (the old calibration line)."""

from __future__ import annotations

import asyncio
import json
import time

import asyncpg

from bench.databases import dsn

BASELINE_AUDIT = json.dumps({"channel": {"platform": "SHELL", "chatId": "bench"}})


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
