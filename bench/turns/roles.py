"""The bench's second application login: the same grants, but row-level security bypassed."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from bench.databases import dsn
from core.db import APP_ROLE

# Only for measuring what RLS costs: never used by the product. The application's own grants
# (membership in the group role), so the one difference is BYPASSRLS.
BYPASS_LOGIN = "ge_bench_app_norls"
_ENSURE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{BYPASS_LOGIN}') THEN
    BEGIN
      CREATE ROLE {BYPASS_LOGIN} LOGIN NOSUPERUSER BYPASSRLS IN ROLE {APP_ROLE};
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END
$$
"""


async def bypass_login(url: str) -> str:
    """`url` (the owner's, a superuser's) logging in as the RLS-bypassing bench login."""
    conn = await asyncpg.connect(dsn(url))
    try:
        if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            raise RuntimeError("bench.turns needs a superuser DATABASE_URL to compare RLS off")
        await conn.execute(_ENSURE)
    finally:
        await conn.close()
    return (
        make_url(url)
        .set(username=BYPASS_LOGIN, password=None)
        .render_as_string(hide_password=False)
    )
