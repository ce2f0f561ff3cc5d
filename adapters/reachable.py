"""Before a command runs: can PostgreSQL and Redis be reached? One line saying why not.

The CLI asks these first, so a DATABASE_URL or REDIS_URL pointing at nothing ends in one
sentence naming the server (password hidden) and the cause, not a driver's traceback.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

CONNECT_TIMEOUT = 5.0  # seconds; a server that is up answers in milliseconds


class Unreachable(Exception):
    """A server the command needs cannot be reached or used; the message is one line."""


def hide_password(url: str) -> str:
    """`url` with its password replaced by ***, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _cause(error: BaseException) -> str:
    """The driver's own words, first line only, without the exception class."""
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    inner = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    text = getattr(inner, "strerror", None) or str(inner) or type(inner).__name__
    return text.strip().splitlines()[0]


async def _probe_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.db import asyncpg_url

    engine = create_async_engine(asyncpg_url(url), connect_args={"timeout": CONNECT_TIMEOUT})
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT * 2), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def check_database(url: str) -> None:
    """Raise Unreachable unless PostgreSQL at `url` accepts a connection and a query."""
    import asyncpg
    from sqlalchemy.exc import SQLAlchemyError

    try:
        asyncio.run(_probe_database(url))
    except (OSError, TimeoutError, SQLAlchemyError, asyncpg.PostgresError) as error:
        raise Unreachable(
            f"Cannot reach the database at {hide_password(url)} (DATABASE_URL): {_cause(error)}"
        ) from None


def check_redis(url: str) -> None:
    """Raise Unreachable unless Redis at `url` answers PING."""
    import redis
    from redis.exceptions import RedisError

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
    except (OSError, RedisError) as error:
        raise Unreachable(
            f"Cannot reach Redis at {hide_password(url)} (REDIS_URL): {_cause(error)}"
        ) from None
    finally:
        client.close()
