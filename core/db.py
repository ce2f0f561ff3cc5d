"""Async engine and session factory for a PostgreSQL URL given by the composition root."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg  # type: ignore[import-untyped]  # no stubs or py.typed
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.driver_pool import DriverPool, setup_codecs

if TYPE_CHECKING:
    from sqlalchemy import Row, Select

# A statement or row of any columns (SQLAlchemy 2.1 types them by their column types).
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"

# The group role migration 0007 grants the application's privileges to; the login role the
# application connects as is made a member of it (`growth-engine db roles`).
APP_ROLE = "growth_engine_app"

# The key of a session factory's `info` under which its driver pool is (make_session_factory).
DRIVER_POOL = "driver_pool"

# Operator batch jobs (retention, archive, roster import) may run one long statement.
BATCH_COMMAND_TIMEOUT = 600.0


def asyncpg_url(url: str) -> str:
    """Return `url` with the asyncpg driver, accepting postgres://, postgresql:// or +asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


# Every connection's settings (make_engine says why JIT is off).
ENGINE_SETTINGS = {"jit": "off"}


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
    application_name: str = "growth-engine",
) -> AsyncEngine:
    """Create the process's engine; one per process, shared by every unit of work.

    Every wait has a deadline: connecting (`connect_timeout`), one statement's answer
    (`command_timeout`, asyncpg cancels the query), and a pooled connection (30 s default).
    `application_name` names the connections in `pg_stat_activity` (bench-turns counts its
    own backends' CPU by it).
    """
    # No pre-ping: on asyncpg it costs three round trips per checkout. A connection broken by
    # a server restart fails its statement, is invalidated, and the next checkout reconnects;
    # recycling bounds how long an idle connection can have been cut by a firewall.
    # No JIT: the application's statements are short, and row-level security's sub-plans make
    # the planner's cost estimates large enough to pass jit_above_cost; compiling then took most
    # of the time (Year 3: a student's full record spent 747 ms compiling a 1 ms index scan).
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={
            "timeout": connect_timeout,
            "command_timeout": command_timeout,
            "server_settings": {"application_name": application_name, **ENGINE_SETTINGS},
        },
    )


# The hot path's connections: no JIT, as make_engine's; and its few statements, each keyed by
# ids and prepared once per connection (asyncpg's statement cache), planned generic from their
# first run. PostgreSQL's default plans the first five runs custom on every connection before it
# settles on the generic plan it keeps (as it does for each of these); row-level security makes
# each plan about three times dearer (the policies' sub-selects are planned too), and bench-turns
# found those plans spilling into the measured exchanges whenever the pool grew: 0.4 plans per
# exchange at 8 conversations, most of what RLS cost there.
DRIVER_SETTINGS = {**ENGINE_SETTINGS, "plan_cache_mode": "force_generic_plan"}


def make_driver_pool(
    url: str,
    *,
    size: int,
    connect_timeout: float = 10.0,
    command_timeout: float = 30.0,
    application_name: str = "growth-engine",
    connection_class: type[asyncpg.Connection] = asyncpg.Connection,
) -> DriverPool:
    """The hot path's own asyncpg pool, its connections set up as `make_engine`'s are.

    Opened lazily (nothing connects until the first checkout). `connection_class`: the bench
    counts round trips with its own.
    """
    dsn = make_url(asyncpg_url(url)).set(drivername="postgresql")
    rendered = dsn.render_as_string(hide_password=False)

    async def connect() -> asyncpg.Connection:
        connection = await asyncpg.connect(
            rendered, timeout=connect_timeout, command_timeout=command_timeout,
            server_settings={"application_name": application_name, **DRIVER_SETTINGS},
            connection_class=connection_class,
        )  # fmt: skip
        try:
            await setup_codecs(connection)
        except BaseException:
            connection.terminate()
            raise
        return connection

    return DriverPool(connect, size=size)


def make_session_factory(
    engine: AsyncEngine, driver_pool: DriverPool | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (expire_on_commit=False).

    `driver_pool`: where units of work made with this factory run their driver transactions
    (core/driver_pool.py); without one they check connections out of `engine`'s pool.
    """
    info = {DRIVER_POOL: driver_pool} if driver_pool is not None else None
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)
