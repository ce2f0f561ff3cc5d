"""Webhook mode inside `serve`: POST /telegram/webhook, checked, acknowledged, then handled."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update

from adapters.http_app import TaskTracker
from adapters.http_guard import telegram_update
from adapters.metrics import Metrics
from adapters.settings import Settings
from adapters.telegram.application import build_application, build_handler, publish_commands
from adapters.telegram.updates import TelegramHandler
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
    tasks: TaskTracker,
) -> Any:
    """The aiohttp handler: 401 on a wrong secret, else 200 at once and the update in the back."""

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
        # Telegram resends what is not acknowledged quickly; the AI may take a while.
        tasks.spawn(handler.handle(update))
        return web.Response(status=200)

    return receive


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
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")
    app.router.add_post(
        WEBHOOK_PATH,
        webhook_handler(
            bot=application.bot,
            handler=handler,
            secret=settings.TELEGRAM_WEBHOOK_SECRET,
            metrics=metrics,
            tasks=tasks,
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
