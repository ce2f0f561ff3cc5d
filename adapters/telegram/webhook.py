"""Webhook mode inside `serve`: POST /telegram/webhook, checked, stored, then acknowledged.

An update is acknowledged (200) only once it is stored in the inbox; when it cannot be stored
(Postgres away) the answer is 503, and Telegram delivers it again later.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update

from adapters.http_app import PIPELINE_KEY, TaskTracker
from adapters.http_guard import telegram_update
from adapters.metrics import Metrics
from adapters.pipeline import Pipeline
from adapters.settings import Settings
from adapters.telegram.application import build_application, build_handler, publish_commands
from adapters.telegram.updates import PLATFORM, TelegramHandler
from bot.engine import DialogueEngine

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_matches(given: str | None, secret: str | None) -> bool:
    """Constant-time check of the header; no configured secret means nothing gets in."""
    if not secret or given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def webhook_handler(
    *,
    bot: Bot,
    handler: TelegramHandler,
    secret: str | None,
    metrics: Metrics,
    pipeline: Pipeline,
) -> Any:
    """The aiohttp handler: 401 on a wrong secret, 200 once the update is stored, else 503."""

    async def receive(request: web.Request) -> web.Response:
        metrics.requests.labels("telegram").inc()
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return web.Response(status=401, text="bad secret token")
        data = await telegram_update(request)
        if isinstance(data, web.Response):
            return data
        try:
            update = Update.de_json(data, bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="not a Telegram update")
        return await store(pipeline, handler, update, data)

    return receive


async def store(
    pipeline: Pipeline, handler: TelegramHandler, update: Update, data: Any
) -> web.Response:
    """Store the update for its conversation (200), or 503 when it cannot be stored."""
    inbound = handler.inbound(update)
    if inbound is None or inbound.event.event_key is None:
        return web.Response(status=200)  # nothing for the dialogue: nothing to keep
    try:
        await pipeline.accept(
            event_key=inbound.event.event_key,
            conversation_key=inbound.event.conversation_key,
            payload={"update": data},
        )
    except Exception as error:  # Postgres away: Telegram delivers again on non-2xx
        log.warning("could not store telegram update (%s); asking for redelivery",
                    type(error).__name__)  # fmt: skip
        return web.Response(status=503, text="try again later")
    return web.Response(status=200)


def register(
    app: web.Application,
    *,
    engine: DialogueEngine,
    settings: Settings,
    metrics: Metrics,
    tasks: TaskTracker,
) -> None:
    """Add the webhook route, and start/stop hooks for the bot, to the `serve` app."""
    application = build_application(settings, polling=False)
    handler = build_handler(application, engine, settings, metrics)
    pipeline = app[PIPELINE_KEY]
    pipeline.register(str(PLATFORM), handler.run, handler.deliver, handler.give_up)
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")
    app.router.add_post(
        WEBHOOK_PATH,
        webhook_handler(
            bot=application.bot,
            handler=handler,
            secret=settings.TELEGRAM_WEBHOOK_SECRET,
            metrics=metrics,
            pipeline=pipeline,
        ),
    )

    async def start(_: web.Application) -> None:
        await application.initialize()  # getMe: our username, for group commands
        engine.bot_username = application.bot.username  # admin invites print a deep link
        await publish_commands(handler.outbox, settings.DEFAULT_LANGUAGE)

    async def stop(_: web.Application) -> None:
        await application.shutdown()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
