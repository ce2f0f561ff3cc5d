"""Alembic: upgrade, downgrade to an empty database, upgrade again, and no drift."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg

from adapters import schema
from tests.conftest import ROOT, asyncpg_dsn


async def _objects(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {
            "tables": await conn.fetchval(
                # Partitions (audit_logs by month) are parts of their table.
                "SELECT count(*) FROM information_schema.tables t JOIN pg_class c "
                "ON c.relname = t.table_name AND c.relnamespace = 'public'::regnamespace "
                "WHERE t.table_schema = 'public' AND t.table_name <> 'alembic_version' "
                "AND NOT c.relispartition AND t.table_type = 'BASE TABLE'"
            ),
            "views": await conn.fetchval(
                "SELECT count(*) FROM information_schema.views WHERE table_schema = 'public'"
            ),
            "types": await conn.fetchval(
                "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'"
            ),
            "functions": await conn.fetchval(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public'"
            ),
            "extensions": await conn.fetchval(
                "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'"
            ),
        }
    finally:
        await conn.close()


async def test_upgrade_downgrade_base_leaves_empty_database_and_upgrade_works_again(
    empty_database_url: str,
) -> None:
    empty = await _objects(empty_database_url)
    await asyncio.to_thread(schema.upgrade, empty_database_url)
    migrated = await _objects(empty_database_url)
    # 9 of the spec; ours: chat_identities, link_codes, dialogue_states, inbox_events,
    # outbox_replies, analysis_flags, audit_ddl_events, analysis_themes, ge_roster_epoch
    assert migrated["tables"] == 18
    # Row-level security's per-role rules (0015): ge_school_classes, ge_principal_students,
    # ge_principal_analyses, ge_teacher_analyses.
    assert migrated["views"] == 4
    await asyncio.to_thread(schema.downgrade, empty_database_url, "base")
    assert await _objects(empty_database_url) == empty
    await asyncio.to_thread(schema.upgrade, empty_database_url)
    assert await _objects(empty_database_url) == migrated


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_db_check_reports_no_drift(owner_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": owner_database_url}
    result = await asyncio.to_thread(_cli, "db", "check", env=env)
    assert result.returncode == 0, result.stderr
    assert "No drift" in result.stdout


async def test_db_check_fails_on_drift(owner_database_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    await conn.execute("DROP INDEX idx_students_active")
    await conn.close()
    env = {**os.environ, "DATABASE_URL": owner_database_url}
    result = await asyncio.to_thread(_cli, "db", "check", env=env)
    assert result.returncode == 1
    assert "Drift" in result.stderr


async def test_db_downgrade_and_upgrade_commands(empty_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    up = await asyncio.to_thread(_cli, "db", "upgrade", env=env)
    assert up.returncode == 0 and f"Database at {schema.head()}" in up.stdout, up.stderr
    down = await asyncio.to_thread(_cli, "db", "downgrade", "base", env=env)
    assert down.returncode == 0 and "Database at base" in down.stdout, down.stderr


async def test_0006_keeps_handled_event_ids_through_upgrade_and_downgrade(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(schema.upgrade, empty_database_url, "0005")
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        await conn.execute("INSERT INTO processed_events (event_key) VALUES ('TELEGRAM:1:7')")
        await asyncio.to_thread(schema.upgrade, empty_database_url, "0006")
        row = await conn.fetchrow("SELECT event_key, answered_at FROM inbox_events")
        assert row["event_key"] == "TELEGRAM:1:7" and row["answered_at"] is not None
        await conn.execute(
            "INSERT INTO inbox_events (event_key, conversation_key) VALUES ('SLACK:T:E', 'k')"
        )
        await asyncio.to_thread(schema.downgrade, empty_database_url, "0005")
        keys = {r["event_key"] for r in await conn.fetch("SELECT event_key FROM processed_events")}
        assert keys == {"TELEGRAM:1:7", "SLACK:T:E"}
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name IN ('inbox_events', 'outbox_replies')"
        )
        assert tables == 0
    finally:
        await conn.close()
