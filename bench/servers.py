"""PostgreSQL and Redis for one bench run: the configured servers, else embedded ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import redis.asyncio

from adapters.settings import load_settings
from bench import ROOT

# Apart from the application's own .data, so a bench never touches a developer's records.
DATA_DIR = ROOT / ".data" / "bench"


class _Server(Protocol):
    def start(self) -> str: ...

    def stop(self) -> None: ...


@contextmanager
def _configured_or_started(
    configured: str | None, embedded: Callable[[Path], _Server]
) -> Iterator[str]:
    if configured is not None:
        yield configured
        return
    server = embedded(DATA_DIR)
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def postgres_server() -> Iterator[str]:
    """DATABASE_URL, else an embedded server under .data/bench, stopped after the run."""
    # Imported here: a run with DATABASE_URL set needs nothing of the embedded servers.
    from adapters.embedded import EmbeddedPostgres

    with _configured_or_started(load_settings().DATABASE_URL, EmbeddedPostgres) as url:
        yield url


@contextmanager
def redis_server() -> Iterator[str]:
    """REDIS_URL, else an embedded server under .data/bench, stopped after the run."""
    from adapters.embedded import EmbeddedRedis

    with _configured_or_started(load_settings().REDIS_URL, EmbeddedRedis) as url:
        yield url


async def delete_keys(client: redis.asyncio.Redis, pattern: str) -> None:
    """Delete every key matching `pattern`, a thousand per UNLINK."""
    keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
    for start in range(0, len(keys), 1000):
        await client.unlink(*keys[start : start + 1000])
