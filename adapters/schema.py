"""Alembic operations (upgrade, downgrade, check) against a given database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import text

import migrations
from core.db import make_engine

MIGRATIONS_DIR = Path(migrations.__file__).parent


class SchemaDrift(Exception):
    """The models and the migrations disagree (Alembic's check found operations)."""


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


def downgrade(database_url: str, revision: str) -> None:
    """Migrate the database down to `revision` (`base` empties it)."""
    command.downgrade(alembic_config(database_url), revision)


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
