"""Polling mode for local use (`growth-engine run telegram --polling`): no public URL needed."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from adapters.http_app import freeze_startup_objects
from adapters.pipeline import Pipeline
from adapters.settings import Settings
from adapters.telegram.application import build_application, build_handler, publish_commands
from adapters.telegram.updates import PLATFORM
from adapters.telegram.webhook import store
from bot.engine import DialogueEngine

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def _stop_on_signals(stop: asyncio.Event) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows loops lack signal handlers (NotImplementedError) and only the main thread may
        # install them (RuntimeError); there the caller's `stop` event is the way to end polling.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    return installed


async def run_polling(
    engine: DialogueEngine, settings: Settings, *, stop: asyncio.Event | None = None
) -> None:
    """Poll getUpdates until `stop` is set (or SIGINT/SIGTERM), then finish turns in flight."""
    application = build_application(settings, polling=True)
    handler = build_handler(application, engine, settings)
    pipeline = Pipeline(session_factory=engine.session_factory, locks=engine.locks,
                        slots=engine.slots)  # fmt: skip
    pipeline.register(str(PLATFORM), handler.run, handler.deliver, handler.give_up)

    async def on_update(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        # Stored like the webhook does, then run in order, so a slow AI turn holds up no one.
        if update.to_dict():
            await store(pipeline, handler, update, update.to_dict())

    application.add_handler(TypeHandler(Update, on_update))
    signals: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        signals = _stop_on_signals(stop)
    try:
        async with application:  # initialize (getMe) ... shutdown
            await publish_commands(handler.outbox, settings.DEFAULT_LANGUAGE)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            freeze_startup_objects()
            pipeline.start()
            await stop.wait()
            await application.updater.stop()
            await application.stop()
            await pipeline.drain()
    finally:
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.remove_signal_handler(sig)
