"""Redis fixtures: the configured server (REDIS_URL) or the embedded one, one namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio

from adapters.redis_store import redis_client as make_redis_client
from adapters.settings import load_settings

__all__ = ["redis_client", "redis_namespace", "redis_url"]

TEST_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "test"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of the Redis tests run on: REDIS_URL when given, else the embedded server."""
    configured = load_settings().REDIS_URL
    if configured:
        yield configured
        return
    from adapters.embedded import EmbeddedRedis

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = EmbeddedRedis(TEST_DATA_DIR)
    yield server.start()
    server.stop()


@pytest.fixture
def redis_namespace() -> str:
    """A key prefix no other test (or run) shares."""
    return f"ge:test-{uuid.uuid4().hex}"


@pytest.fixture
async def redis_client(redis_url: str, redis_namespace: str) -> AsyncIterator[redis.asyncio.Redis]:
    """A client for the test; the namespace's keys are deleted afterwards."""
    client = make_redis_client(redis_url)
    yield client
    # A fresh client: a test may leave the shared one mid-command after cancelling a task.
    cleaner = make_redis_client(redis_url)
    try:
        keys = [key async for key in cleaner.scan_iter(match=f"{redis_namespace}:*", count=500)]
        for start in range(0, len(keys), 500):
            await cleaner.unlink(*keys[start : start + 500])
    finally:
        await cleaner.aclose()
        await client.aclose()
