"""Building the python-telegram-bot Application and our handler on it; the command menu."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from adapters.metrics import Metrics
from adapters.pacing import Pacer
from adapters.settings import Settings
from adapters.telegram.delivery import Outbox
from adapters.telegram.transport import AiohttpRequest
from adapters.telegram.updates import TelegramHandler
from bot.engine import DialogueEngine
from bot.i18n import t

# The menu Telegram shows after "/"; `start` is implied and stays out of it.
COMMANDS = ("help", "analyze", "students", "resume", "retry", "cancel", "finish", "lang")
MENU_LANGUAGES = ("he", "en")


def build_application(settings: Settings, *, polling: bool = False) -> Application:
    """An Application on TELEGRAM_API_BASE_URL; without an Updater unless polling."""
    if not settings.TELEGRAM_BOT_TOKEN:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(settings.TELEGRAM_API_BASE_URL)
        # Replies over aiohttp (see transport.py); long polling keeps PTB's own transport.
        .request(AiohttpRequest())
    )
    if not polling:
        builder = builder.updater(None)  # webhook updates arrive through our aiohttp route
    return builder.build()


def bot_id(token: str) -> str:
    """The bot's numeric id (the token's prefix): the workspace of every Telegram identity."""
    return token.split(":", 1)[0]


def build_handler(
    application: Application,
    engine: DialogueEngine,
    settings: Settings,
    metrics: Metrics | None = None,
) -> TelegramHandler:
    """The handler of `application`'s updates, replying through a paced outbox of its bot."""
    return TelegramHandler(
        engine=engine,
        outbox=Outbox(application.bot, Pacer()),
        workspace_id=bot_id(application.bot.token),
        default_language=settings.DEFAULT_LANGUAGE,
        metrics=metrics,
    )


def menu(language: str) -> list[BotCommand]:
    """The command menu with descriptions in `language`."""
    return [BotCommand(name, t(language, f"cmd_{name}")) for name in COMMANDS]


async def publish_commands(outbox: Outbox, default_language: str) -> None:
    """setMyCommands for Hebrew and English users, and the default for everyone else."""
    for code in (None, *MENU_LANGUAGES):
        commands = menu(code or default_language)
        await outbox.call(
            f"commands:{code}",
            lambda commands=commands, code=code: outbox.bot.set_my_commands(
                commands, language_code=code
            ),
        )
