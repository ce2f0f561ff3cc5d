"""Composition root: builds Settings once, starts embedded servers when nothing is configured."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.settings import Settings, load_settings

DATABASE_NAME = "growth_engine"
# The embedded default's application login (the owner there is the server's superuser).
EMBEDDED_APP_LOGIN = "growth_engine"


@dataclass
class Infrastructure:
    """Where the database and Redis are, and the embedded servers this process started."""

    settings: Settings
    database_url: str
    redis_url: str | None
    # Who runs migrations: DATABASE_OWNER_URL, else DATABASE_URL (embedded: the superuser).
    owner_url: str = ""
    embedded_database: bool = False
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
    owner_url = settings.DATABASE_OWNER_URL or database_url
    embedded_database = database_url is None
    if database_url is None:
        from adapters.embedded import EmbeddedPostgres

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        postgres = EmbeddedPostgres(settings.DATA_DIR)
        postgres.start()
        database_url = owner_url = postgres.ensure_database(DATABASE_NAME)
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
    assert owner_url is not None
    infra = Infrastructure(
        settings, database_url, redis_url, owner_url, embedded_database, notes, stops
    )
    atexit.register(infra.close)
    return infra


def prepare_database(infra: Infrastructure) -> None:
    """Make the database usable by the application role, or refuse with one line.

    The embedded default is the developer's own: migrate it as its owner and switch this
    process to the application login, as production runs. A configured database is migrated
    only by `growth-engine db upgrade`; here it must already be at this release's revision
    (SchemaBehind otherwise).
    """
    from adapters import schema

    if infra.embedded_database:
        from adapters.roles import ensure_app_login_sync

        schema.upgrade(infra.owner_url)
        ensure_app_login_sync(infra.owner_url, EMBEDDED_APP_LOGIN)
        infra.database_url = with_login(infra.owner_url, EMBEDDED_APP_LOGIN)
        return
    schema.require_current(infra.database_url)


def with_login(url: str, login: str) -> str:
    """`url` logging in as `login` (no password: the embedded server trusts its socket)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=login, password=None).render_as_string(hide_password=False)
