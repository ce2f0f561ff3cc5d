"""`growth-engine serve`: the HTTP process, with graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from adapters.bootstrap import Infrastructure
from adapters.http_app import TASKS_KEY, build_app, freeze_startup_objects
from adapters.metrics import Metrics
from adapters.pipeline import Pipeline
from adapters.settings import Settings
from adapters.wiring import Wired, build_engine
from core.audit_partitions import missing_partitions
from core.db import make_session_factory


def configured_platforms(settings: Settings) -> list[str]:
    """The chat platforms whose credentials are set."""
    platforms = []
    if settings.SLACK_BOT_TOKEN and settings.SLACK_SIGNING_SECRET:
        platforms.append("slack")
    if settings.TELEGRAM_BOT_TOKEN:
        platforms.append("telegram")
    return platforms


def make_app(settings: Settings, wired: Wired, metrics: Metrics) -> web.Application:
    """The aiohttp app with every configured platform's routes."""
    engine = wired.engine
    pipeline = Pipeline(
        session_factory=engine.session_factory,
        locks=engine.locks,
        slots=engine.slots,
        settings=wired.pipeline_settings,
        ack_session_factory=wired.ack_sessions,
    )
    app = build_app(wired.db, wired.redis, metrics, engine.slots, pipeline)
    for platform in configured_platforms(settings):
        if platform == "slack":
            from adapters.slack import register as register_slack

            register_slack(
                app, engine=wired.engine, settings=settings, metrics=metrics, tasks=app[TASKS_KEY]
            )
        else:
            from adapters.telegram import register as register_telegram

            register_telegram(
                app, engine=wired.engine, settings=settings, metrics=metrics, tasks=app[TASKS_KEY]
            )
    return app


async def serve(infra: Infrastructure) -> int:
    """Serve until SIGTERM or SIGINT, then finish the turns in flight and stop."""
    assert infra.redis_url is not None
    settings = infra.settings
    metrics = Metrics()
    wired = build_engine(settings, infra.database_url, infra.redis_url, metrics)
    async with make_session_factory(wired.db)() as session:
        missing = await missing_partitions(session)
    if missing:
        # Every audit row needs its month's partition; without one it would fall to the default.
        print(f"Not serving: audit_logs has no partition {', '.join(missing)}; "
              "run `growth-engine audit partitions`.", file=sys.stderr, flush=True)  # fmt: skip
        await wired.close()
        return 1
    app = make_app(settings, wired, metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.HTTP_HOST, settings.HTTP_PORT)
    await site.start()
    freeze_startup_objects()  # after on_startup: the bots' own start-up is loaded too
    platforms = ", ".join(configured_platforms(settings)) or "no chat platform configured"
    print(
        f"Serving on http://{settings.HTTP_HOST}:{settings.HTTP_PORT} ({platforms}); "
        "/healthz and /metrics are up.",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("Stopping: finishing turns in flight…", flush=True)
    await runner.cleanup()  # stops accepting, then on_shutdown drains in-flight turns
    await wired.close()
    return 0
