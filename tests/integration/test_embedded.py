"""Embedded PostgreSQL and Redis: real servers from wheels, reuse across processes, no orphans."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis.asyncio

from adapters.embedded import EmbeddedPostgres, EmbeddedRedis, describe

pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
from pathlib import Path
from adapters.embedded import EmbeddedPostgres, EmbeddedRedis
data = Path(sys.argv[1])
print(json.dumps({"pg": EmbeddedPostgres(data).start(), "redis": EmbeddedRedis(data).start()}))
"""


def asyncpg_dsn(url: str) -> str:
    """asyncpg takes the SQLAlchemy URL without the driver suffix."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Live processes whose command line or working directory is inside data_dir."""
    marker = str(data_dir.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if marker in cmdline or marker in (proc.info["cwd"] or ""):
            found.append(proc)
    return found


def assert_no_servers(data_dir: Path) -> None:
    # Postgres children exit a moment after pg_ctl reports the postmaster gone.
    deadline = time.monotonic() + 5
    while (left := server_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, [proc.info for proc in left]


def run_child(data_dir: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def is_gone(pid: int) -> bool:
    """Exited: no such process, or a zombie that init has not reaped yet."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def postmaster_pid(pg: EmbeddedPostgres) -> int:
    return int((pg.data_path / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    assert_no_servers(path)


async def test_postgres_database_and_extensions(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    pg = EmbeddedPostgres(Path("data"))  # relative, like the default DATA_DIR=./.data
    try:
        server_url = pg.start()
        assert pg.data_path == data_dir / "postgres"
        assert server_url.startswith("postgresql+asyncpg://postgres@/postgres?host=/")
        url = pg.ensure_database("growth_engine")
        assert pg.ensure_database("growth_engine") == url  # idempotent
        assert url == pg.url_for("growth_engine")
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == "growth_engine"
            assert await conn.fetchval("show server_encoding") == "UTF8"
            await conn.execute("create extension pg_trgm")
            await conn.execute("create extension unaccent")
            assert await conn.fetchval("select unaccent('Hélène')") == "Helene"
            assert await conn.fetchval("select similarity('growth', 'growth')") == 1.0
        finally:
            await conn.close()
    finally:
        pg.stop()
        pg.stop()
    assert describe(Path("data")) == (
        f"Embedded PostgreSQL data: {data_dir / 'postgres'}; "
        f"embedded Redis data: {data_dir / 'redis'}"
    )


async def test_redis_set_get_and_persist(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir)
    try:
        url = server.start()
        assert url.startswith("unix:///") and url.endswith("?db=0")
        client = redis.asyncio.from_url(url)
        try:
            await client.set("greeting", "shalom")
            assert await client.get("greeting") == b"shalom"
        finally:
            await client.aclose()
    finally:
        server.stop()
        server.stop()
    assert_no_servers(data_dir)
    # The data survives a restart because the server saves on stop.
    try:
        client = redis.asyncio.from_url(server.start())
        try:
            assert await client.get("greeting") == b"shalom"
        finally:
            await client.aclose()
    finally:
        server.stop()


def test_process_exit_leaves_no_servers(data_dir: Path) -> None:
    urls = run_child(data_dir)
    assert urls["pg"].startswith("postgresql+asyncpg://")
    assert urls["redis"].startswith("unix://")
    assert_no_servers(data_dir)


async def test_other_process_reuses_and_leaves_servers_running(data_dir: Path) -> None:
    pg, cache = EmbeddedPostgres(data_dir), EmbeddedRedis(data_dir)
    try:
        pg_url, redis_url = pg.start(), cache.start()
        pg_pid = postmaster_pid(pg)
        client = redis.asyncio.from_url(redis_url)
        try:
            redis_pid = (await client.info("server"))["process_id"]
            # An open app connection must not count as a user keeping the server alive.
            assert run_child(data_dir) == {"pg": pg_url, "redis": redis_url}
            assert postmaster_pid(pg) == pg_pid
            assert (await client.info("server"))["process_id"] == redis_pid
            conn = await asyncpg.connect(asyncpg_dsn(pg_url))
            assert await conn.fetchval("select 1") == 1
            await conn.close()
        finally:
            await client.aclose()
    finally:
        pg.stop()
        cache.stop()
    assert is_gone(pg_pid)
    assert is_gone(redis_pid)
