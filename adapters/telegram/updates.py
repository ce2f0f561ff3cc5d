"""Telegram updates in: once per update_id, link codes redeemed, the rest to the engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from adapters.metrics import Metrics
from adapters.telegram.delivery import Outbox
from bot.engine import DialogueEngine
from bot.events import Incoming, Reply
from bot.i18n import isolate, t
from core import identity
from core.actor import Channel, system_actor
from core.errors import AccessDenied, NotFound
from core.models import ChatPlatform
from core.ports.coordination import LockTimeout
from core.services import linking

log = logging.getLogger(__name__)

PLATFORM = ChatPlatform.TELEGRAM
LANGUAGES = ("he", "en")
LINK_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (linking.LinkCodeUsed, "link_used"),
    (linking.LinkCodeExpired, "link_expired"),
    (NotFound, "link_unknown"),
    (AccessDenied, "denied"),
)


@dataclass(frozen=True)
class Inbound:
    """An update the bot acts on: the neutral event and where answers go."""

    event: Incoming
    chat: int
    user_chat: int  # the user's private chat (its id is the user id)
    group: bool
    language_code: str | None = None
    callback_id: str | None = None
    link_code: str | None = None


def _addressed_elsewhere(text: str, username: str | None) -> bool:
    """True for `/cmd@OtherBot`: in a group, another bot's command."""
    _, _, addressee = text.split(maxsplit=1)[0].partition("@")
    return bool(addressee and username and addressee.lower() != username.lower())


def read_update(update: Update, workspace_id: str, username: str | None = None) -> Inbound | None:
    """What an update means to the dialogue, or None when it is not for us."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    query = update.callback_query
    message = update.message
    if query is not None:
        if not query.data:
            return None
        chat = query.message.chat if query.message is not None else None
        text, action = "", query.data
    elif message is not None and message.text:
        chat, text, action = message.chat, message.text.strip(), None
    else:
        return None  # edits, stickers, members joining: nothing for the dialogue
    is_direct = chat is None or chat.type == ChatType.PRIVATE
    if not is_direct and action is None:
        # In groups only commands addressed to us count; the rest is people talking.
        if not text.startswith("/") or _addressed_elsewhere(text, username):
            return None
    head, _, rest = text.partition(" ")
    starts_with_code = is_direct and head.split("@", 1)[0] == "/start" and rest.strip()
    chat_id = chat.id if chat is not None else user.id
    event = Incoming(
        PLATFORM,
        workspace_id,
        str(user.id),
        str(chat_id),
        text=text,
        action=action,
        event_id=str(update.update_id),
        is_direct=is_direct,
        language=(user.language_code or "").split("-", 1)[0] or None,
    )
    return Inbound(
        event,
        chat=chat_id,
        user_chat=user.id,
        group=chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        language_code=user.language_code,
        callback_id=query.id if query is not None else None,
        link_code=rest.strip() if starts_with_code else None,
    )


class TelegramHandler:
    """Acts on one Update: dedup, answer the button, link or dialogue, deliver the replies."""

    def __init__(
        self,
        *,
        engine: DialogueEngine,
        outbox: Outbox,
        workspace_id: str,
        default_language: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.workspace_id = workspace_id
        self.default_language = default_language
        self.metrics = metrics

    async def handle(self, update: Update) -> None:
        """Handle `update` once; it runs after the ack, so failures are logged, not raised."""
        try:
            await self._handle(update)
        except Exception:
            log.exception("telegram update %s failed", update.update_id)
            self._count_error()

    async def _handle(self, update: Update) -> None:
        # Our own key (not the engine's): link codes and button answers happen outside it.
        key = f"{PLATFORM}:{self.workspace_id}:update:{update.update_id}"
        if not await self.engine.seen.first_time(key):
            return
        inbound = read_update(update, self.workspace_id, self._username())
        if inbound is None:
            return
        if inbound.callback_id is not None:
            await self._answer(inbound)
        if self.metrics is not None:
            self.metrics.turns.labels("telegram").inc()
        await self.deliver(inbound, await self._replies(inbound))

    async def _replies(self, inbound: Inbound) -> list[Reply]:
        if inbound.link_code is not None:
            return [await self._link(inbound)]
        user = await self._known(inbound.event)
        if user is None:
            # Names nothing, so it may answer in the group where it was asked.
            return [Reply(t(self._language(inbound), "tg_not_linked"), public=True)]
        try:
            return await self.engine.handle(inbound.event)
        except LockTimeout:  # the previous turn of this user is still running (a slow AI call)
            return [Reply(t(user.language, "busy"))]

    async def deliver(self, inbound: Inbound, replies: list[Reply]) -> None:
        """Public replies to the chat asked in; everything else to the user's private chat."""
        for reply in replies:
            target = inbound.chat if reply.public else inbound.user_chat
            try:
                await self.outbox.deliver(reply, target, group=reply.public and inbound.group)
            except Forbidden:
                # The user never opened a private chat with the bot (or blocked it).
                log.warning("telegram chat %s refuses messages from the bot", target)
                self._count_error()
            except TelegramError:
                log.exception("telegram delivery to %s failed", target)
                self._count_error()

    async def _answer(self, inbound: Inbound) -> None:
        assert inbound.callback_id is not None
        try:
            await self.outbox.answer_callback(inbound.callback_id, inbound.user_chat)
        except TelegramError:  # an old button: the answer is cosmetic, the action still counts
            log.warning("could not answer callback query %s", inbound.callback_id)

    async def _known(self, event: Incoming) -> identity.ChatUser | None:
        async with self.engine.uow() as uow:
            return await identity.resolve(
                uow,
                PLATFORM,
                event.workspace_id,
                event.external_user_id,
                self._channel(event),
                self.default_language,
                event.language,
            )

    async def _link(self, inbound: Inbound) -> Reply:
        event = inbound.event
        try:
            async with self.engine.uow() as uow:
                await linking.redeem_link_code(
                    uow=uow,
                    actor=system_actor(self._channel(event)),
                    code=inbound.link_code or "",
                    platform=PLATFORM,
                    workspace_id=event.workspace_id,
                    external_user_id=event.external_user_id,
                )
        except (NotFound, AccessDenied, linking.LinkCodeUsed, linking.LinkCodeExpired) as error:
            key = next(key for kind, key in LINK_ERRORS if isinstance(error, kind))
            return Reply(t(self._language(inbound), key))
        user = await self._known(event)
        assert user is not None, "a linked account resolves"
        welcome = t(user.language, "link_done", name=isolate(user.display_name))
        # The first thing a newly linked person reads says how to change the language.
        return Reply(f"{welcome}\n{t(user.language, 'first_contact')}")

    def _channel(self, event: Incoming) -> Channel:
        return Channel(str(PLATFORM), event.chat_id, event.workspace_id)

    def _language(self, inbound: Inbound) -> str:
        """For people we do not know yet: their Telegram language when we speak it."""
        code = (inbound.language_code or "").split("-", 1)[0]
        return code if code in LANGUAGES else self.default_language

    def _username(self) -> str | None:
        try:
            return self.outbox.bot.username
        except RuntimeError:  # before initialize(): no getMe yet
            return None

    def _count_error(self) -> None:
        if self.metrics is not None:
            self.metrics.errors.labels("telegram").inc()
