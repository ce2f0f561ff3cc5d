"""Calling services as an adapter would, and reading back the audit row a call wrote."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, system_actor
from core.demo import seed_demo
from core.uow import UnitOfWork

Run = Callable[..., Awaitable[Any]]
Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
def run(session_factory: async_sessionmaker[AsyncSession]) -> Run:
    """Run one service in its own unit of work, as an adapter would."""

    async def call(fn: Any, actor: Actor, **kwargs: Any) -> Any:
        async with UnitOfWork(session_factory) as uow:
            return await fn(uow=uow, actor=actor, **kwargs)

    return call


async def last_audit(raw: asyncpg.Connection) -> dict[str, Any]:
    """The newest audit row, metadata decoded."""
    row = await raw.fetchrow("SELECT * FROM audit_logs ORDER BY created_at DESC, id LIMIT 1")
    return {**dict(row), "metadata": json.loads(row["metadata"])}


@asynccontextmanager
async def seeding(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a test's set-up and checks: the operator's system path past RLS.

    The suite logs in as the application role, so rows written or read outside a service need
    an actor, as `seed-demo` and the CLI have (the system, audited as such).
    """
    async with UnitOfWork(factory) as uow:
        await uow.act_as(system_actor())
        yield uow


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection as the application's login, outside any unit of work, kept across
    transactions as the pool keeps it."""
    # Imported here: conftest imports this module (and a subprocess may import it first).
    from tests.conftest import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    yield conn
    await conn.close()


async def demo_staff(factory: Factory, raw: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    """Seed the demo school; its staff by the part of their email before `@` (`teacher1`)."""
    async with seeding(factory) as uow:
        await seed_demo(uow=uow)
    rows = await raw.fetch("SELECT id, school_id, role::text AS role, email FROM users")
    return {row["email"].split("@")[0]: row for row in rows}


async def copy_rows(raw: asyncpg.Connection, table: str, source: str) -> None:
    """INSERT the rows of `source` (a kept copy of `table`) back into `table`.

    Generated columns (`analyses.export_sections`, 0027) are the database's to write, so the
    columns are named: `INSERT ... SELECT *` is refused on such a table.
    """
    columns = await raw.fetchval(
        "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = $1 AND is_generated = 'NEVER'",
        table,
    )
    await raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {source}")
