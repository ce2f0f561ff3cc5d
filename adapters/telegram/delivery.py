"""Replies out to Telegram: HTML-escaped, split under 4096 characters, paced, never dropped."""

from __future__ import annotations

import html
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from adapters.pacing import Pacer, RateLimited
from bot.events import Attachment, Button, Reply

T = TypeVar("T")

MAX_MESSAGE = 4096  # Bot API limit, counted in UTF-16 code units after entity parsing
SEPARATORS = ("\n\n", "\n", " ")  # paragraph, then line, then word


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(text: str, limit: int) -> list[str]:
    parts, current, size = [], [], 0
    for char in text:
        width = units(char)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    return [*parts, "".join(current)]


def _split(text: str, limit: int, level: int) -> list[str]:
    if units(text) <= limit:
        return [text]
    if level == len(SEPARATORS):
        return _hard_cut(text, limit)
    sep = SEPARATORS[level]
    parts: list[str] = []
    current: str | None = None
    size = 0
    for chunk in text.split(sep):
        width = units(chunk)
        if current is not None and size + units(sep) + width <= limit:
            current, size = current + sep + chunk, size + units(sep) + width
            continue
        if current is not None:
            parts.append(current)
        if width <= limit:
            current, size = chunk, width
        else:
            *whole, current = _split(chunk, limit, level + 1)
            parts.extend(whole)
            size = units(current)
    if current is not None:
        parts.append(current)
    return parts


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit`, cut at paragraphs, else lines, else words, else anywhere."""
    return [part.strip("\n") for part in _split(text, limit, 0) if part.strip()]


def to_html(text: str) -> str:
    """Plain text made safe for parse_mode=HTML (`<`, `>` and `&`; quotes need nothing)."""
    return html.escape(text, quote=False)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row; the callback data is the dialogue's stable action id."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action)] for b in buttons]
    )


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbox:
    """Every outgoing Bot API call, through one Pacer; a 429 is waited out and sent again."""

    def __init__(self, bot: Bot, pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.pacer = pacer or Pacer()

    async def call(self, key: str, send: Callable[[], Awaitable[T]], *, group: bool = False) -> T:
        """Run one Bot API call in `key`'s turn (a chat id, or a key of its own)."""

        async def attempt() -> T:
            try:
                return await send()
            except RetryAfter as error:
                raise RateLimited(retry_seconds(error)) from error

        return await self.pacer.send(key, attempt, group=group)

    async def deliver(self, reply: Reply, chat_id: int, *, group: bool = False) -> None:
        """Send one reply: text parts (keyboard on the last), then its attachments."""
        parts = split_text(reply.text)
        markup = keyboard(reply.buttons)
        for number, part in enumerate(parts, 1):
            last = number == len(parts)
            await self.call(
                str(chat_id),
                lambda part=part, last=last: self.bot.send_message(
                    chat_id,
                    to_html(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                ),
                group=group,
            )
        for attachment in reply.attachments:
            await self.call(
                str(chat_id), lambda a=attachment: self._attach(chat_id, a), group=group
            )

    async def _attach(self, chat_id: int, attachment: Attachment) -> object:
        upload = InputFile(attachment.content, filename=attachment.filename)
        if attachment.mime_type.startswith("image/"):
            return await self.bot.send_photo(chat_id, upload)
        return await self.bot.send_document(chat_id, upload)

    async def answer_callback(self, query_id: str, user_id: int) -> None:
        """Stop the button's spinner; paced apart from messages so it never waits behind them."""
        await self.call(f"callback:{user_id}", lambda: self.bot.answer_callback_query(query_id))
