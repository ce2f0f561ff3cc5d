"""Calling services as an adapter would, and reading back the audit row a call wrote."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor
from core.uow import UnitOfWork

Run = Callable[..., Awaitable[Any]]


@pytest.fixture
def run(session_factory: async_sessionmaker[AsyncSession]) -> Run:
    """Run one service in its own unit of work, as an adapter would."""

    async def call(fn: Any, actor: Actor, **kwargs: Any) -> Any:
        async with UnitOfWork(session_factory) as uow:
            return await fn(uow=uow, actor=actor, **kwargs)

    return call


async def last_audit(raw: asyncpg.Connection) -> dict[str, Any]:
    """The newest audit row, metadata decoded."""
    row = await raw.fetchrow("SELECT * FROM audit_logs ORDER BY created_at DESC, id LIMIT 1")
    return {**dict(row), "metadata": json.loads(row["metadata"])}
