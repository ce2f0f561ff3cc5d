"""/healthz names what is down and recovers without a restart; /metrics speaks Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from adapters.embedded import EmbeddedRedis
from adapters.http_app import build_app
from adapters.metrics import Metrics
from adapters.settings import Settings
from core.db import make_engine

COUNTERS = ("ge_requests_total", "ge_turns_total", "ge_errors_total", "ge_ai_tokens_total")
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This environment without any Growth Engine setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    return {**env, "DATA_DIR": str(tmp_path / "data"), **settings}


async def health(base: str) -> tuple[int, dict[str, str]]:
    """Status and body of GET /healthz."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(f"{base}/healthz") as got:
        return got.status, await got.json()


async def health_becomes(base: str, status: int, within: float = 15.0) -> dict[str, str]:
    """Poll /healthz until it answers `status`; returns that body."""
    deadline = time.monotonic() + within
    last: tuple[int, dict[str, str]] | None = None
    while time.monotonic() < deadline:
        last = await health(base)
        if last[0] == status:
            return last[1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz never answered {status}; last answer {last}")


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, database_url: str, redis_url: str) -> AsyncIterator[str]:
    """The real `growth-engine serve` in a subprocess, healthy; yields its base URL."""
    port = free_port()
    env = child_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url,
                    HTTP_HOST="127.0.0.1", HTTP_PORT=str(port))
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=tmp_path, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.returncode is None, log.read_text()
            assert time.monotonic() < deadline, f"serve never became healthy:\n{log.read_text()}"
            with contextlib.suppress(aiohttp.ClientError):
                if (await health(base))[0] == 200:
                    break
            await asyncio.sleep(0.1)
        yield base
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()


class TcpProxy:
    """A TCP port forwarding to Postgres; `close` is a network outage, `open` the repair."""

    def __init__(self, upstream: Callable[[], Awaitable[Streams]]) -> None:
        self.port = 0
        self._upstream = upstream
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        """Listen (again, on the same port once one was picked)."""
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and cut every forwarded connection."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            server_in, server_out = await self._upstream()
        except OSError:
            client_out.transport.abort()
            return
        ends = {client_out, server_out}
        self._writers |= ends
        pipes = [asyncio.create_task(self._pipe(client_in, server_out)),
                 asyncio.create_task(self._pipe(server_in, client_out))]
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for end in ends:
                end.transport.abort()
            self._writers -= ends
            await asyncio.gather(*pipes, return_exceptions=True)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()


def proxied(database_url: str) -> tuple[Callable[[], Awaitable[Streams]], Callable[[int], str]]:
    """How to reach the real server, and the URL of the same database through a proxy port."""
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    port = int(url.query.get("port") or url.port or 5432)  # type: ignore[arg-type]

    async def upstream() -> Streams:
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
        return await asyncio.open_connection(url.host or "127.0.0.1", port)

    def through(proxy_port: int) -> str:
        query = {k: v for k, v in url.query.items() if k not in ("host", "port")}
        return url.set(host="127.0.0.1", port=proxy_port, query=query).render_as_string(
            hide_password=False
        )

    return upstream, through


@pytest.fixture
def private_redis_dir() -> Iterator[Path]:
    """A short directory, so the embedded Redis socket keeps one path across restarts."""
    with tempfile.TemporaryDirectory(prefix="ge-health-") as directory:
        yield Path(directory)


async def test_healthz_names_redis_while_it_is_down_and_recovers_without_restart(
    tmp_path: Path, database_url: str, private_redis_dir: Path
) -> None:
    cache = EmbeddedRedis(private_redis_dir)
    redis_url = cache.start()
    try:
        async with serving(tmp_path, database_url, redis_url) as base:
            assert await health(base) == (200, {"postgres": "ok", "redis": "ok"})
            cache.stop()
            down = await health_becomes(base, 503)
            assert down["postgres"] == "ok"
            assert down["redis"].startswith("error"), down
            assert cache.start() == redis_url  # same data dir, same socket
            assert await health_becomes(base, 200) == {"postgres": "ok", "redis": "ok"}
    finally:
        cache.stop()


async def test_healthz_names_postgres_while_it_is_unreachable_and_recovers_without_restart(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    upstream, through = proxied(database_url)
    proxy = TcpProxy(upstream)
    await proxy.open()
    try:
        async with serving(tmp_path, through(proxy.port), redis_url) as base:
            assert await health(base) == (200, {"postgres": "ok", "redis": "ok"})
            await proxy.close()
            down = await health_becomes(base, 503)
            assert down["redis"] == "ok"
            assert down["postgres"].startswith("error"), down
            await proxy.open()
            assert await health_becomes(base, 200) == {"postgres": "ok", "redis": "ok"}
    finally:
        await proxy.close()


async def test_healthz_names_postgres_when_its_port_is_closed(
    redis_client: redis.asyncio.Redis,
) -> None:
    db = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/x", pool_size=1)
    try:
        async with TestClient(TestServer(build_app(db, redis_client, Metrics()))) as client:
            got = await client.get("/healthz")
            body: dict[str, Any] = await got.json()
    finally:
        await db.dispose()
    assert got.status == 503
    assert body["redis"] == "ok"
    assert body["postgres"].startswith("error"), body


async def test_metrics_are_prometheus_text_with_the_ge_counters(
    redis_client: redis.asyncio.Redis, database_url: str
) -> None:
    metrics = Metrics()
    metrics.requests.labels("telegram").inc(3)
    metrics.turns.labels("telegram").inc()
    metrics.ai_latency.labels("offline-analyst").observe(0.25)
    db = make_engine(database_url, pool_size=1)
    try:
        async with TestClient(TestServer(build_app(db, redis_client, metrics))) as client:
            got = await client.get("/metrics")
            text = await got.text()
    finally:
        await db.dispose()
    assert got.status == 200
    assert got.content_type == "text/plain"
    for counter in COUNTERS:
        assert f"# TYPE {counter} counter" in text, counter
    assert "# TYPE ge_ai_latency_seconds histogram" in text
    assert 'ge_requests_total{platform="telegram"} 3.0' in text
    assert 'ge_turns_total{platform="telegram"} 1.0' in text
    assert 'ge_ai_latency_seconds_count{model="offline-analyst"} 1.0' in text


async def test_serve_exposes_metrics_next_to_healthz(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    async with serving(tmp_path, database_url, redis_url) as base:
        async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as got:
            text = await got.text()
            assert got.status == 200
            assert got.content_type == "text/plain"
    for counter in COUNTERS:
        assert f"# TYPE {counter} counter" in text, counter
    # serve bounds the engine's concurrent events (MAX_CONCURRENT_TURNS) and shows the queue.
    assert "ge_turns_waiting 0.0" in text
