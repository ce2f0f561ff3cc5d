"""audit_logs by month: rows land in their month, every partition is immutable, a month leaves
the database only archived, verified and past retention; the migration keeps existing rows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import schema
from core.actor import system_actor
from core.audit_partitions import add_months, missing_partitions, partition_name
from core.errors import Conflict, NotFound
from core.services.audit_months import (
    archive_month,
    create_partitions,
    drop_month,
    verify_archive,
)
from core.uow import UnitOfWork
from tests.conftest import asyncpg_dsn
from tests.integration.test_audit_archive import read_archive

Factory = async_sessionmaker[AsyncSession]
# Creating, detaching and dropping partitions is DDL: the operator commands run them as the
# owner (DATABASE_OWNER_URL), so these tests use the owner's sessions for them.
OLD = ["2018-03-05T10:00:00+00:00", "2018-03-31T23:59:59+00:00", "2018-04-01T00:00:00+00:00"]


async def _insert(raw: asyncpg.Connection, at: str, n: int = 0) -> None:
    await raw.execute(
        "INSERT INTO audit_logs (user_email, action, resource, resource_id, metadata, created_at)"
        " VALUES ('t@demo.school', 'READ', 'Student', $1, $2, $3)",
        f"s-{n}", json.dumps({"studentIds": [f"s-{n}"], "note": "קריאה"}),
        datetime.fromisoformat(at),
    )  # fmt: skip


async def _where(raw: asyncpg.Connection, resource_id: str) -> str:
    return str(
        await raw.fetchval(
            "SELECT tableoid::regclass::text FROM audit_logs WHERE resource_id = $1", resource_id
        )
    )


async def _old_months(raw: asyncpg.Connection) -> None:
    for month in ("2018-03-01", "2018-04-01"):
        await raw.execute("SELECT public.ge_audit_partition($1)", date.fromisoformat(month))
    for n, at in enumerate(OLD):
        await _insert(raw, at, n)


async def test_a_row_lands_in_its_months_partition(raw: asyncpg.Connection) -> None:
    now = datetime.now(UTC)
    await _insert(raw, now.isoformat(), 1)
    await _insert(raw, "2001-01-01T00:00:00+00:00", 2)  # no partition for 2001: the default
    assert await _where(raw, "s-1") == partition_name(now.date().replace(day=1))
    assert await _where(raw, "s-2") == "audit_logs_default"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET resource = 'x'",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
@pytest.mark.parametrize("which", ["audit_logs", "this month", "made later", "audit_logs_default"])
async def test_update_delete_and_truncate_are_refused_on_the_table_and_every_partition(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection, statement: str, which: str
) -> None:
    this = datetime.now(UTC).date().replace(day=1)
    table = {
        "this month": partition_name(this),
        "made later": partition_name(add_months(this, 6)),
    }.get(which, which)
    if which == "made later":
        async with UnitOfWork(owner_session_factory) as uow:
            made = await create_partitions(uow=uow, actor=system_actor(), ahead=6)
        assert table in made
        later = add_months(this, 6)
        await _insert(raw, datetime(later.year, later.month, 2, tzinfo=UTC).isoformat(), 9)
    else:
        await _insert(raw, datetime.now(UTC).isoformat(), 9)
        await _insert(raw, "2001-01-01T00:00:00+00:00", 8)
    before = await raw.fetchval(f"SELECT count(*) FROM {table}")
    assert before >= 1
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await raw.execute(statement.format(table=table))
    assert await raw.fetchval(f"SELECT count(*) FROM {table}") == before


async def test_serve_needs_this_and_next_months_partitions_which_the_command_creates(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection
) -> None:
    following = partition_name(add_months(datetime.now(UTC).date().replace(day=1), 1))
    async with session_factory() as session:
        assert await missing_partitions(session) == []
    await raw.execute(f"ALTER TABLE audit_logs DETACH PARTITION {following}")
    await raw.execute(f"DROP TABLE {following}")
    async with session_factory() as session:
        assert await missing_partitions(session) == [following]
    async with UnitOfWork(owner_session_factory) as uow:
        await create_partitions(uow=uow, actor=system_actor(), ahead=1)
    async with session_factory() as session:
        assert await missing_partitions(session) == []
    triggers = await raw.fetch(
        "SELECT tgname, tgenabled::text AS tgenabled FROM pg_trigger WHERE tgrelid = $1::regclass",
        following,
    )
    assert {(t["tgname"], t["tgenabled"]) for t in triggers} == {
        ("audit_logs_immutable", "A"), ("audit_logs_no_truncate", "A"),
    }  # fmt: skip


async def _archive(factory: Factory, month: str, directory: Path) -> Any:
    async with UnitOfWork(factory) as uow:
        return await archive_month(uow=uow, actor=system_actor(), month=month, directory=directory)


async def _drop(factory: Factory, month: str, directory: Path) -> int:
    async with UnitOfWork(factory) as uow:
        return await drop_month(uow=uow, actor=system_actor(), month=month, directory=directory)


async def test_a_month_archived_and_verified_is_dropped_and_its_archive_stays_valid(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection, tmp_path: Path
) -> None:
    await _old_months(raw)
    march = tmp_path / "2018-03"
    manifest = await _archive(session_factory, "2018-03", march)
    assert manifest.rows == 2 and [f.name for f in manifest.files] == [
        "audit_logs-2018-03.jsonl.gz"
    ]
    expected = [r["resource_id"] for r in await raw.fetch(
        "SELECT resource_id FROM audit_logs_2018_03 ORDER BY created_at, id")]  # fmt: skip
    assert await _drop(owner_session_factory, "2018-03", march) == 2
    assert await raw.fetchval("SELECT to_regclass('audit_logs_2018_03')") is None
    assert await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE created_at < '2018-04-01'") == 0  # fmt: skip
    assert verify_archive(march)["rows"] == 2
    assert [line["resource_id"] for line in read_archive(march)] == expected
    drop = await raw.fetchrow(
        "SELECT * FROM audit_logs WHERE metadata->>'operation' = 'drop-month'")  # fmt: skip
    assert (drop["action"], json.loads(drop["metadata"])["rows"]) == ("DELETE", 2)


async def test_a_month_not_archived_is_not_dropped(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection, tmp_path: Path
) -> None:
    await _old_months(raw)
    march = tmp_path / "2018-03"
    await _archive(session_factory, "2018-03", march)
    with pytest.raises(Conflict, match="archive the month first"):
        await _drop(owner_session_factory, "2018-04", march)
    with pytest.raises(Conflict, match="no readable archive"):
        await _drop(owner_session_factory, "2018-04", tmp_path / "nothing")
    assert await raw.fetchval("SELECT count(*) FROM audit_logs_2018_04") == 1
    with pytest.raises(NotFound):
        await _drop(owner_session_factory, "2017-01", march)


async def test_a_tampered_archive_is_not_trusted(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection, tmp_path: Path
) -> None:
    await _old_months(raw)
    march = tmp_path / "2018-03"
    await _archive(session_factory, "2018-03", march)
    data = march / "audit_logs-2018-03.jsonl.gz"
    data.write_bytes(data.read_bytes() + b"\0")
    with pytest.raises(Conflict, match="checksum"):
        await _drop(owner_session_factory, "2018-03", march)
    assert await raw.fetchval("SELECT count(*) FROM audit_logs_2018_03") == 2


async def test_a_month_inside_the_retention_period_is_not_dropped(
    session_factory: Factory,
    owner_session_factory: Factory, raw: asyncpg.Connection, tmp_path: Path
) -> None:
    last = add_months(datetime.now(UTC).date().replace(day=1), -1)
    async with UnitOfWork(owner_session_factory) as uow:
        await create_partitions(uow=uow, actor=system_actor(), start=last)
    await _insert(raw, datetime(last.year, last.month, 2, tzinfo=UTC).isoformat(), 5)
    directory = tmp_path / "recent"
    manifest = await _archive(session_factory, f"{last:%Y-%m}", directory)
    assert manifest.rows >= 1
    with pytest.raises(Conflict, match="retention period"):
        await _drop(owner_session_factory, f"{last:%Y-%m}", directory)
    assert await raw.fetchval(f"SELECT count(*) FROM {partition_name(last)}") == manifest.rows


async def test_the_migration_partitions_the_existing_rows_in_place_and_back(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(schema.upgrade, empty_database_url, "0009")
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        for n, at in enumerate([*OLD, datetime.now(UTC).isoformat()]):
            await _insert(conn, at, n)
        rows = await conn.fetch("SELECT * FROM audit_logs ORDER BY id")
        await asyncio.to_thread(schema.upgrade, empty_database_url, "0010")
        assert await conn.fetch("SELECT * FROM audit_logs ORDER BY id") == rows
        assert await _where(conn, "s-0") == "audit_logs_2018_03"
        assert await _where(conn, "s-2") == "audit_logs_2018_04"
        assert await conn.fetchval("SELECT count(*) FROM audit_logs_default") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM audit_logs_2018_03")
        await asyncio.to_thread(schema.downgrade, empty_database_url, "0009")
        assert await conn.fetch("SELECT * FROM audit_logs ORDER BY id") == rows
        assert await conn.fetchval(
            "SELECT relkind::text FROM pg_class WHERE relname = 'audit_logs'") == "r"  # fmt: skip
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE audit_logs")
    finally:
        await conn.close()


async def test_every_partitions_student_index_takes_entries_as_written_even_a_new_month(
    raw: asyncpg.Connection,
) -> None:
    # No pending list (0018): a user's insert never waits to merge other rows' entries.
    await raw.execute("SELECT ge_audit_partition('2031-05-01'::date)")
    rows = await raw.fetch(
        "SELECT c.relname, c.reloptions FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
        "WHERE h.inhparent = 'idx_audit_logs_student_ids'::regclass"
    )
    assert any(row["relname"].startswith("audit_logs_2031_05") for row in rows)
    assert rows and all(row["reloptions"] == ["fastupdate=off"] for row in rows), rows
