"""Safe to deploy: the audit trail outlives its owner's mistakes, the schema is migrated only on
purpose, and a real database gets no demo accounts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from adapters import schema
from tests.conftest import ROOT, as_app, asyncpg_dsn


def _cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env={**clean, "TELEGRAM_BOT_TOKEN": "", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_ddl_on_the_audit_trail_by_its_owner_is_recorded_where_the_app_cannot_erase_it(
    raw: asyncpg.Connection, database_url: str
) -> None:
    # Migrations after 0007 (0010 partitions the trail) are recorded too: only this test's DDL.
    since = await raw.fetchval("SELECT clock_timestamp()")
    await raw.execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_immutable")
    await raw.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_immutable")
    await raw.execute("DROP TRIGGER audit_logs_no_truncate ON audit_logs")
    await raw.execute("CREATE TABLE unrelated (id int)")  # not the audit trail: not recorded
    events = await raw.fetch(
        "SELECT session_user_name, command_tag, object_identity FROM audit_ddl_events "
        "WHERE occurred_at > $1 ORDER BY occurred_at",
        since,
    )
    assert [tuple(e) for e in events] == [
        ("postgres", "ALTER TABLE", "public.audit_logs"),
        ("postgres", "ALTER TABLE", "public.audit_logs"),
        ("postgres", "DROP TRIGGER", "audit_logs_no_truncate on public.audit_logs"),
    ]
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await raw.execute("DELETE FROM audit_ddl_events")
    app = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        assert await app.fetchval(
            "SELECT count(*) FROM audit_ddl_events WHERE occurred_at > $1", since
        ) == 3
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_immutable")
    finally:
        await app.close()


async def test_downgrade_to_base_refuses_while_audit_rows_exist_unless_told_to_destroy_them(
    owner_database_url: str, raw: asyncpg.Connection
) -> None:
    await raw.execute(
        "INSERT INTO audit_logs (user_email, action, resource) VALUES ('x', 'READ', 'Student')"
    )
    env = {"DATABASE_URL": owner_database_url}
    refused = await asyncio.to_thread(_cli, "db", "downgrade", "base", env=env)
    assert refused.returncode == 2
    assert "audit_logs holds 1 rows" in refused.stderr
    assert "--yes-destroy-audit-trail" in refused.stderr
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == 1
    # Every revision down from head, counted (a relative step reaches base only then).
    config = schema.alembic_config(owner_database_url)
    steps = len(list(ScriptDirectory.from_config(config).walk_revisions()))
    with pytest.raises(schema.AuditTrailProtected):
        await asyncio.to_thread(schema.downgrade, owner_database_url, f"-{steps}")
    destroyed = await asyncio.to_thread(
        _cli, "db", "downgrade", "base", "--yes-destroy-audit-trail", env=env
    )
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Database at base" in destroyed.stdout


async def test_commands_refuse_to_start_on_a_schema_behind_this_release(
    owner_database_url: str,
) -> None:
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0005")
    result = await asyncio.to_thread(
        _cli, "admin", "usage", env={"DATABASE_URL": as_app(owner_database_url)}
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Database schema is at a revision older than")
    assert line.endswith(
        f"this release needs {schema.head()}: run "
        "`growth-engine db upgrade` (as the owner, DATABASE_OWNER_URL) first."
    )
    # Where the application may read the revision, it is named.
    owner = await asyncio.to_thread(
        _cli, "admin", "usage", env={"DATABASE_URL": owner_database_url}
    )
    assert owner.returncode == 2 and "Database schema is at 0005" in owner.stderr
    # The owner's `db upgrade` brings it current; the application then starts.
    up = await asyncio.to_thread(
        _cli, "db", "upgrade",
        env={"DATABASE_URL": as_app(owner_database_url), "DATABASE_OWNER_URL": owner_database_url},
    )  # fmt: skip
    assert up.returncode == 0, up.stderr


async def test_run_on_an_empty_configured_database_creates_no_user_and_says_how_to_add_one(
    database_url: str, redis_url: str, raw: asyncpg.Connection
) -> None:
    result = await asyncio.to_thread(
        _cli, "run", env={"DATABASE_URL": database_url, "REDIS_URL": redis_url}, stdin="quit\n"
    )
    assert "growth-engine admin user add" in result.stdout, result.stderr
    assert "seed-demo" in result.stdout
    assert await raw.fetchval("SELECT count(*) FROM users") == 0
    assert await raw.fetchval("SELECT count(*) FROM schools") == 0
