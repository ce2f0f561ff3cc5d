"""Composition root: builds Settings once, starts embedded servers when nothing is configured."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.settings import Settings, load_settings

DATABASE_NAME = "growth_engine"


@dataclass
class Infrastructure:
    """Where the database and Redis are, and the embedded servers this process started."""

    settings: Settings
    database_url: str
    redis_url: str | None
    notes: list[str] = field(default_factory=list)
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop the embedded servers this process started (idempotent)."""
        while self._stops:
            self._stops.pop()()


def provision(settings: Settings | None = None, *, with_redis: bool = True) -> Infrastructure:
    """Resolve DATABASE_URL / REDIS_URL, starting embedded servers under DATA_DIR when unset."""
    settings = settings or load_settings()
    stops: list[Callable[[], None]] = []
    notes: list[str] = []
    database_url = settings.DATABASE_URL
    if database_url is None:
        from adapters.embedded import EmbeddedPostgres

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        postgres = EmbeddedPostgres(settings.DATA_DIR)
        postgres.start()
        database_url = postgres.ensure_database(DATABASE_NAME)
        stops.append(postgres.stop)
        notes.append(f"Embedded PostgreSQL (DATABASE_URL unset): data in {postgres.data_path}")
    redis_url = settings.REDIS_URL
    if redis_url is None and with_redis:
        from adapters.embedded import EmbeddedRedis

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        redis_server = EmbeddedRedis(settings.DATA_DIR)
        redis_url = redis_server.start()
        stops.append(redis_server.stop)
        notes.append(f"Embedded Redis (REDIS_URL unset): data in {redis_server.data_path}")
    infra = Infrastructure(settings, database_url, redis_url, notes, stops)
    atexit.register(infra.close)
    return infra
