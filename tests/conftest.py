"""Shared fixtures: a real PostgreSQL (configured or embedded) with one fresh database per test.

The suite runs as the application role, as `serve` does: `database_url` (and the `engine` and
`session_factory` built on it) log in as TEST_APP_LOGIN, a member of the group role migration
0007 grants to, so a missing grant or an RLS policy that is too narrow fails a test. `raw` and
`owner_database_url` are the owner (the operator at a psql prompt, and migrations).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters import schema
from adapters.roles import ensure_app_login
from adapters.settings import load_settings
from core.db import make_driver_pool, make_engine, make_session_factory
from tests.ai_clients import close_all
from tests.database_pool import DatabasePool

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = ROOT / ".data" / "test"
# Cluster-wide, shared by every test database (and checkout) on the server; created race-safely.
TEST_APP_LOGIN = "ge_test_app"


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def as_app(url: str) -> str:
    """`url` logging in as the application role instead of the owner."""
    return make_url(url).set(username=TEST_APP_LOGIN, password=None).render_as_string(
        hide_password=False
    )


def asyncpg_dsn(url: str) -> str:
    """A DSN asyncpg.connect accepts (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(scope="session", autouse=True)
async def _close_ai_clients() -> AsyncIterator[None]:
    """OpenAI HTTP sessions end with the test session (module fixtures share providers)."""
    yield
    await close_all()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of the server tests run on: DATABASE_URL when given, else the embedded server."""
    configured = load_settings().DATABASE_URL
    if configured:
        yield configured
        return
    from adapters.embedded import EmbeddedPostgres

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(TEST_DATA_DIR)
    yield server.start()
    server.stop()


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_pool(pg_server_url: str) -> Iterator[DatabasePool]:
    """A database migrated to head once per test process, and copies of it made ahead of the
    tests and dropped behind them."""
    # The pid keeps concurrent runs on one server (two checkouts, CI) out of each other's way.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"ge_test_template_{worker}_{os.getpid()}"
    asyncio.run(
        _admin(
            pg_server_url,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0",
        )
    )
    schema.upgrade(with_database(pg_server_url, name))
    asyncio.run(ensure_app_login(with_database(pg_server_url, name), TEST_APP_LOGIN))
    pool = DatabasePool(asyncpg_dsn(with_database(pg_server_url, "postgres")), name)
    yield pool
    # The template goes with the last copies, their drops waiting on one checkpoint.
    pool.close(also=[name])


@pytest.fixture(scope="session")
def template_database(database_pool: DatabasePool) -> str:
    """The migrated database each test's copy is made from."""
    return database_pool.template


@pytest.fixture
async def owner_database_url(pg_server_url: str, database_pool: DatabasePool) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, as its owner; dropped afterwards."""
    name = await database_pool.take()
    yield with_database(pg_server_url, name)
    database_pool.give_back(name)


@pytest.fixture
def database_url(owner_database_url: str) -> str:
    """The test's database as the application logs in to it (the application role)."""
    return as_app(owner_database_url)


@pytest.fixture
async def empty_database_url(
    pg_server_url: str, database_pool: DatabasePool
) -> AsyncIterator[str]:
    """A fresh database with nothing in it (for migration tests)."""
    name = f"ge_test_{uuid.uuid4().hex[:12]}"
    await _admin(pg_server_url, f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    yield with_database(pg_server_url, name)
    database_pool.give_back(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's own database."""
    eng = make_engine(database_url, pool_size=5)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session_factory(
    engine: AsyncEngine, database_url: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Session factory on the test's own database, its hot path on a driver pool as serve's."""
    pool = make_driver_pool(database_url, size=5)
    yield make_session_factory(engine, pool)
    await pool.close()


@pytest.fixture
async def owner_session_factory(
    owner_database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions as the owner, for tests of the schema itself (cascades, triggers, types)."""
    eng = make_engine(owner_database_url, pool_size=2)
    yield make_session_factory(eng)
    await eng.dispose()


@pytest.fixture
async def raw(owner_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection for raw SQL, as an operator (the owner) would type it."""
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def embedded_pg_url() -> Iterator[str]:
    """The embedded server from the wheel, whatever DATABASE_URL says (build-parity tests)."""
    from adapters.embedded import EmbeddedPostgres

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(TEST_DATA_DIR)
    yield server.start()
    server.stop()


from tests.dialogue_fixtures import chat, fake_ai  # noqa: E402, F401
from tests.redis_fixtures import redis_client, redis_namespace, redis_url  # noqa: E402, F401
from tests.service_fixtures import app, run  # noqa: E402, F401
