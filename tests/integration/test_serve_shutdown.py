"""Graceful shutdown: SIGTERM stops `serve` cleanly, after the turns in flight are finished."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import redis.asyncio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.http_app import TASKS_KEY, build_app
from adapters.metrics import Metrics
from adapters.settings import Settings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def healthy(base: str) -> bool:
    """Whether GET /healthz answers 200."""
    timeout = aiohttp.ClientTimeout(total=5)
    with contextlib.suppress(aiohttp.ClientError):
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(f"{base}/healthz") as r:
            return r.status == 200
    return False


async def test_sigterm_stops_serve_with_exit_code_zero_and_says_so(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env |= {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port), "DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=tmp_path, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not await healthy(f"http://127.0.0.1:{port}"):
            assert process.returncode is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 5) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = log.read_text()
    assert "Serving on http://127.0.0.1:" in output
    assert "Stopping" in output
    assert "Traceback" not in output, output
    assert not await healthy(f"http://127.0.0.1:{port}")


async def test_a_turn_in_flight_at_shutdown_is_finished_not_cancelled(
    engine: AsyncEngine, redis_client: redis.asyncio.Redis
) -> None:
    app = build_app(engine, redis_client, Metrics())
    runner = web.AppRunner(app)
    await runner.setup()
    finished: list[str] = []

    async def slow_turn() -> None:
        await asyncio.sleep(0.3)
        finished.append("reply sent")

    turn = app[TASKS_KEY].spawn(slow_turn())
    assert len(app[TASKS_KEY]) == 1
    await runner.cleanup()
    assert finished == ["reply sent"]
    assert turn.done() and not turn.cancelled()
    assert len(app[TASKS_KEY]) == 0
