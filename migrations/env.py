"""Alembic environment: runs migrations over an async engine; the URL is set by the caller."""

from __future__ import annotations

import asyncio
import re

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import asyncpg_url
from core.models import Base

config = context.config
target_metadata = Base.metadata

# Objects that live in migrations only (generated helper functions' dependents, extensions)
# are not models; autogenerate must not propose dropping them.
_IGNORED_INDEXES: set[str] = set()
# Monthly partitions of audit_logs (0010) are rows of one model, made by an operator command.
_AUDIT_PARTITION = re.compile(r"audit_logs_(\d{4}_\d{2}|default)")
# Written by the DDL event trigger of migration 0007 only, and row-level security's roster
# counter (0015), kept by triggers: no model maps them.
_IGNORED_TABLES = {"audit_ddl_events", "ge_roster_epoch"}


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name is not None and _AUDIT_PARTITION.fullmatch(name):
        return False
    if type_ == "table" and name in _IGNORED_TABLES:
        return False
    return not (type_ == "index" and name in _IGNORED_INDEXES)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=_include_object,
    )


# Two processes migrating one database at once queue here; the second then finds it current.
MIGRATION_LOCK_KEY = 7_471_290_301


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(asyncpg_url(url), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No database URL: run migrations through `growth-engine db ...`")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
