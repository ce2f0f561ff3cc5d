"""Alembic operations (upgrade, downgrade, check) against a given database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import migrations
from core.db import make_engine

MIGRATIONS_DIR = Path(migrations.__file__).parent


class SchemaDrift(Exception):
    """The models and the migrations disagree (Alembic's check found operations)."""


class SchemaBehind(Exception):
    """The database is not at the revision this release needs (one line for the operator)."""


class AuditTrailProtected(Exception):
    """A downgrade would drop an audit trail that holds rows, and was not confirmed."""


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a URL must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def head() -> str:
    """The newest revision of this release's migrations."""
    revision = ScriptDirectory.from_config(alembic_config("postgresql://unused/")).get_current_head()
    assert revision is not None
    return revision


def _reaches_base(database_url: str, revision: str) -> bool:
    """True when downgrading to `revision` would undo the initial migration (drop audit_logs)."""
    if revision == "base":
        return True
    if not (revision.startswith("-") and revision[1:].isdigit()):
        return False
    script = ScriptDirectory.from_config(alembic_config(database_url))
    at = current(database_url)
    for _ in range(int(revision[1:])):
        if at is None:
            return True
        down = script.get_revision(at).down_revision
        at = down if isinstance(down, str) or down is None else down[0]
    return at is None


def downgrade(database_url: str, revision: str, *, destroy_audit_trail: bool = False) -> None:
    """Migrate the database down to `revision` (`base` empties it).

    Refuses (AuditTrailProtected) to go below the initial revision while audit_logs holds
    rows, unless `destroy_audit_trail`: the trail is the record of every disclosure.
    """
    if not destroy_audit_trail and _reaches_base(database_url, revision):
        rows = _audit_rows(database_url)
        if rows:
            raise AuditTrailProtected(
                f"Refusing to downgrade to base: audit_logs holds {rows} rows, the record of "
                "every read and write of student data, and would be dropped. Archive it first; "
                "to destroy it anyway, add --yes-destroy-audit-trail."
            )
    command.downgrade(alembic_config(database_url), revision)


def _audit_rows(database_url: str) -> int:
    async def _count() -> int:
        engine = make_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                if await conn.scalar(text("SELECT to_regclass('audit_logs')")) is None:
                    return 0
                return int(await conn.scalar(text("SELECT count(*) FROM audit_logs")) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(_count())


def require_current(database_url: str) -> None:
    """Raise SchemaBehind unless the database is at this release's head revision."""
    needed = head()
    try:
        at = current(database_url)
    except DBAPIError as exc:
        if "permission denied" not in str(exc):
            raise
        at = "a revision older than the application role"  # 0007 grants its rights
    if at != needed:
        raise SchemaBehind(
            f"Database schema is at {at or 'nothing'}, this release needs {needed}: "
            "run `growth-engine db upgrade` (as the owner, DATABASE_OWNER_URL) first."
        )


def check(database_url: str) -> None:
    """Raise SchemaDrift when the models differ from what the migrations produce."""
    try:
        command.check(alembic_config(database_url))
    except CommandError as exc:
        raise SchemaDrift(str(exc)) from None


def current(database_url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""

    async def _read() -> str | None:
        engine = make_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                if await conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
                    return None
                return await conn.scalar(text("SELECT version_num FROM alembic_version"))
        finally:
            await engine.dispose()

    return asyncio.run(_read())
