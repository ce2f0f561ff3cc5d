"""Benchmark databases: their URLs, a fresh or reused one migrated to head, and seeding one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from adapters import schema
from adapters.roles import ensure_app_login

# The benchmarks measure the application as it runs: logged in as the application role, so
# row-level security and the per-transaction actor check are in every number.
BENCH_APP_LOGIN = "ge_bench_app"


def with_database(server_url: str, name: str) -> str:
    """`server_url` pointing at database `name`."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def dsn(url: str) -> str:
    """A SQLAlchemy URL as asyncpg takes it (no driver in the scheme)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def as_application(url: str) -> str:
    """`url` (the owner's) logging in as the application role instead, created if missing."""
    await ensure_app_login(url, BENCH_APP_LOGIN)
    return make_url(url).set(username=BENCH_APP_LOGIN, password=None).render_as_string(
        hide_password=False
    )


async def _row_counts(url: str, tables: Sequence[str]) -> dict[str, int]:
    conn = await asyncpg.connect(dsn(url))
    try:
        counts = {}
        for table in tables:
            # A database left half-made by an interrupted run may lack the table.
            if await conn.fetchval("SELECT to_regclass($1)", f"public.{table}") is None:
                counts[table] = 0
            else:
                counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        return counts
    finally:
        await conn.close()


async def _holds(server_url: str, name: str, rows: Mapping[str, int]) -> bool:
    """Whether database `name` exists and its tables hold exactly `rows`."""
    admin = await asyncpg.connect(dsn(with_database(server_url, "postgres")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
    finally:
        await admin.close()
    return await _row_counts(with_database(server_url, name), list(rows)) == dict(rows)


async def _recreate(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(dsn(with_database(server_url, "postgres")))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    finally:
        await admin.close()


async def _migrated(server_url: str, name: str) -> str:
    url = with_database(server_url, name)
    # Alembic's env.py runs its own event loop, which cannot start inside this one.
    await asyncio.to_thread(schema.upgrade, url)
    return url


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database `name`, migrate it to head; its URL."""
    await _recreate(server_url, name)
    return await _migrated(server_url, name)


async def reusable_database(
    server_url: str, name: str, rows: Mapping[str, int]
) -> tuple[str, bool]:
    """Database `name` migrated to head, and whether it was kept (its tables held `rows`)."""
    reused = await _holds(server_url, name, rows)
    if not reused:
        await _recreate(server_url, name)
    return await _migrated(server_url, name), reused


async def seed(
    url: str,
    steps: Sequence[tuple[str, str]],
    *,
    args: Sequence[Any] = (),
    rows_width: int = 8,
    timed: bool = False,
) -> None:
    """Run each step in one transaction (`args` for those using $1), print its rows; VACUUM."""
    conn = await asyncpg.connect(dsn(url))
    try:
        async with conn.transaction():
            for name, sql in steps:
                started = time.perf_counter()
                rows = (await conn.execute(sql, *(args if "$1" in sql else ()))).split()[-1]
                took = f"  {time.perf_counter() - started:6.1f} s" if timed else ""
                print(f"  {name:<24} {rows:>{rows_width}} rows{took}")
        started = time.perf_counter()
        # Also merges the GIN pending list that a bulk insert leaves behind.
        await conn.execute("VACUUM ANALYZE")
        if timed:
            took = f"{time.perf_counter() - started:6.1f} s"
            print(f"  {'VACUUM ANALYZE':<24} {'':>{rows_width}}       {took}")
    finally:
        await conn.close()
