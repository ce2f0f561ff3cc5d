"""The application's login role: created by the owner, a member of the group role that holds
the grants (migration 0007), so every database migrated on the server serves it the same way.
"""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from core.db import APP_ROLE

# Roles are cluster-wide and shared by every database and checkout on the server: create the
# login only when missing and tolerate a concurrent creator; grant membership the same way.
_ENSURE_LOGIN = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {name_literal}) THEN
    BEGIN
      CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role({name_literal}, '{group}', 'MEMBER') THEN
    BEGIN
      GRANT {group} TO {name};
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END
$$
"""


class RoleError(Exception):
    """The login role cannot be set up as asked (one line for the operator)."""


def login_of(url: str) -> str:
    """The user name in a PostgreSQL URL."""
    name = make_url(url).username
    if not name:
        raise RoleError("DATABASE_URL names no user for the application to log in as")
    return name


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_app_login(owner_url: str, login: str, password: str | None = None) -> None:
    """Create `login` if missing, a member of the application group role; set its password."""
    conn = await asyncpg.connect(_dsn(owner_url))
    try:
        if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", login):
            raise RoleError(f"{login} is a superuser: the application must not connect as one")
        await conn.execute(
            f"""DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')
            THEN RAISE EXCEPTION 'run growth-engine db upgrade first'; END IF; END $$"""
        )
        name = await conn.fetchval("SELECT quote_ident($1)", login)
        literal = await conn.fetchval("SELECT quote_literal($1)", login)
        await conn.execute(_ENSURE_LOGIN.format(name=name, name_literal=literal, group=APP_ROLE))
        if password is not None:
            quoted = await conn.fetchval("SELECT quote_literal($1)", password)
            await conn.execute(f"ALTER ROLE {name} PASSWORD {quoted}")
    finally:
        await conn.close()


def ensure_app_login_sync(owner_url: str, login: str, password: str | None = None) -> None:
    """`ensure_app_login` for synchronous callers (the CLI)."""
    asyncio.run(ensure_app_login(owner_url, login, password))
