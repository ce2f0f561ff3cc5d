"""The `serve` process: one aiohttp app hosting platform webhooks, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import redis.asyncio
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.logs import request_logging
from adapters.loop_lag import governed
from adapters.metrics import Metrics
from adapters.pipeline import Pipeline
from bot.slots import Slots

HEALTH_TIMEOUT_SECONDS = 2.0
METRICS_KEY = web.AppKey("metrics", Metrics)


class TaskTracker:
    """Background work started after an acknowledgement, awaited on graceful shutdown.

    With `slots`, each piece of work holds one while it runs (given back while the model
    answers), so a burst waits its turn instead of crowding the event loop the acks run on.
    """

    def __init__(self, slots: Slots | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = slots

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` in the background, keeping a reference until it ends."""
        task = asyncio.create_task(work if self._slots is None else self._in_slot(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _in_slot(self, work: Coroutine[Any, Any, Any]) -> Any:
        assert self._slots is not None
        try:
            async with self._slots.held():
                return await work
        finally:
            work.close()  # never started if cancelled while waiting; a no-op once finished

    async def drain(self, grace_seconds: float = 30.0) -> None:
        """Wait for the turns in flight (up to `grace_seconds`)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_seconds)

    def __len__(self) -> int:
        return len(self._tasks)


TASKS_KEY = web.AppKey("tasks", TaskTracker)
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)


def freeze_startup_objects() -> None:
    """Keep what start-up loaded (modules, app, models) out of every later full collection.

    About 270,000 objects live after start-up; each full collection walked them all and
    stopped the event loop for 130-160 ms, the slowest acknowledgements in bench-http.
    Frozen, a full collection walks only what the turns created since.
    """
    gc.collect()
    gc.freeze()


async def _check(work: Coroutine[Any, Any, Any]) -> str:
    try:
        await asyncio.wait_for(work, HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means "not healthy"; the text says which
        return f"error: {type(exc).__name__}"
    return "ok"


async def _select_one(db: AsyncEngine) -> None:
    async with db.connect() as conn:
        await conn.execute(text("SELECT 1"))


def health_handler(db: AsyncEngine, cache: redis.asyncio.Redis) -> Any:
    """GET /healthz: 200 when Postgres and Redis answer, else 503 naming what failed."""

    async def handle(request: web.Request) -> web.Response:
        postgres, redis_state = await asyncio.gather(_check(_select_one(db)), _check(cache.ping()))
        body = {"postgres": postgres, "redis": redis_state}
        healthy = postgres == "ok" and redis_state == "ok"
        return web.json_response(body, status=200 if healthy else 503)

    return handle


async def metrics_handler(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text."""
    body = request.app[METRICS_KEY].render()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def build_app(
    db: AsyncEngine,
    cache: redis.asyncio.Redis,
    metrics: Metrics,
    slots: Slots | None = None,
    pipeline: Pipeline | None = None,
) -> web.Application:
    """The app with health and metrics; platform modules add their routes with `register`.

    With `pipeline`, stored events are taken up from start-up and drained on shutdown.
    """
    app = web.Application(middlewares=[request_logging])
    app[METRICS_KEY] = metrics
    # Turns run in the pipeline's workers, which hold slots; the tracker's background work
    # (a Slack modal opening) needs none.
    app[TASKS_KEY] = TaskTracker(None if pipeline is not None else slots)
    if slots is not None:
        metrics.turns_waiting.set_function(lambda: slots.waiting)

        async def acks_first(app: web.Application) -> AsyncIterator[None]:
            async with governed(slots):  # fewer turns at once while the loop runs late
                yield

        app.cleanup_ctx.append(acks_first)
    if pipeline is not None:
        app[PIPELINE_KEY] = pipeline

        async def take_up(app: web.Application) -> None:
            pipeline.start()

        async def drain_pipeline(app: web.Application) -> None:
            await pipeline.drain()

        app.on_startup.append(take_up)
        app.on_shutdown.append(drain_pipeline)
    app.router.add_get("/healthz", health_handler(db, cache))
    app.router.add_get("/metrics", metrics_handler)

    async def finish_in_flight(app: web.Application) -> None:
        await app[TASKS_KEY].drain()

    app.on_shutdown.append(finish_in_flight)
    return app
