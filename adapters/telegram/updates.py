"""Telegram updates in: stored once per update_id, then run in order; replies out, recorded."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.metrics import Metrics
from adapters.pacing import QuietWindow
from adapters.pipeline import Undeliverable
from adapters.telegram.delivery import Outbox
from bot.engine import DialogueEngine, Router
from bot.events import Incoming, Reply
from bot.i18n import isolate, t
from bot.slots import still_working
from core import identity
from core.actor import Channel, system_actor
from core.cleaning import clean_id, clean_text
from core.errors import AccessDenied, NotFound
from core.inbox import StoredEvent
from core.models import ChatPlatform
from core.services import linking

log = logging.getLogger(__name__)

PLATFORM = ChatPlatform.TELEGRAM
LINKED_SECONDS = 60.0  # how long a conversation found linked skips the adapter's own check
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
        text, action = "", clean_id(query.data)
    elif message is not None and message.text:
        # Cleaned where it enters (see core.cleaning): NUL or a lone surrogate crashed a turn.
        chat, text, action = message.chat, clean_text(message.text).strip(), None
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
    """Runs stored Updates in order (`run`) and sends their recorded replies (`deliver`)."""

    def __init__(
        self,
        *,
        engine: DialogueEngine,
        outbox: Outbox,
        workspace_id: str,
        default_language: str,
        metrics: Metrics | None = None,
        quiet: QuietWindow | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.workspace_id = workspace_id
        self.default_language = default_language
        self.metrics = metrics
        # People we do not know hear why at most once per window, however much they write.
        self.quiet = quiet or QuietWindow()
        self._linked: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=LINKED_SECONDS)

    def inbound(self, update: Update) -> Inbound | None:
        """What the update means to the dialogue, or None when it is not for us."""
        return read_update(update, self.workspace_id, self._username())

    def _stored(self, stored: StoredEvent) -> Inbound | None:
        payload = stored.payload or {}
        return self.inbound(Update.de_json(payload.get("update") or {}, self.outbox.bot))

    async def run(self, stored: StoredEvent) -> set[str] | None:
        """Run a stored update; the chats its replies were recorded for (None: not for us)."""
        inbound = self._stored(stored)
        if inbound is None:
            return None
        if self.metrics is not None:
            self.metrics.turns.labels("telegram").inc()
        if inbound.callback_id is not None and stored.attempts == 0:
            await self._answer(inbound)
        route = self._router(inbound)
        replies = await self._own_replies(inbound)
        if replies is None:

            async def typing(_: int) -> None:
                await self.outbox.bot.send_chat_action(inbound.user_chat, ChatAction.TYPING)

            with still_working(typing):
                replies = await self.engine.handle(inbound.event, route=route, locked=True)
        else:
            await self.engine.answer(inbound.event, replies, route)
        return {route(reply)[0] for reply in replies}

    async def _own_replies(self, inbound: Inbound) -> list[Reply] | None:
        """Link codes and unknown people are answered here; None: the dialogue answers."""
        if inbound.link_code is not None:
            return [await self._link(inbound)]
        key = inbound.event.conversation_key
        if key in self._linked or await self._known(inbound.event) is not None:
            # Linked a moment ago: the dialogue checks the account itself in its first query,
            # so this read is saved on the next messages (an account unlinked since is told
            # so by the dialogue, unthrottled, for at most LINKED_SECONDS).
            self._linked[key] = True
            return None
        if not self.quiet.may_speak(inbound.event.conversation_key):
            return []
        # Names nothing, so it may answer in the group where it was asked.
        return [Reply(t(self._language(inbound), "tg_not_linked"), public=True)]

    async def give_up(self, stored: StoredEvent) -> set[str]:
        """Answer an update that failed every run with one message saying so, to its sender."""
        inbound = self._stored(stored)
        if inbound is None:
            raise LookupError("the update is nothing for the dialogue")
        user = await self._known(inbound.event)
        language = user.language if user is not None else self._language(inbound)
        route = self._router(inbound)
        reply = Reply(t(language, "turn_given_up"))  # private: to the sender, not the group
        await self.engine.answer(inbound.event, [reply], route)
        return {route(reply)[0]}

    def _router(self, inbound: Inbound) -> Router:
        def route(reply: Reply) -> tuple[str, dict[str, Any]]:
            target = inbound.chat if reply.public else inbound.user_chat
            group = reply.public and inbound.group
            return f"{PLATFORM}:{self.workspace_id}:{target}", {"chat": target, "group": group}

        return route

    async def deliver(self, route: dict[str, Any], reply: Reply) -> None:
        """Send one recorded reply to its chat; Undeliverable when Telegram refuses it for good."""
        target = int(route["chat"])
        try:
            await self.outbox.deliver(reply, target, group=bool(route.get("group")))
        except Forbidden as error:
            # The user never opened a private chat with the bot (or blocked it).
            log.warning("telegram chat %s refuses messages from the bot", target)
            self._count_error()
            raise Undeliverable from error
        except BadRequest as error:
            log.warning("telegram refused a reply to %s: %s", target, error.message)
            self._count_error()
            raise Undeliverable from error
        except TelegramError:
            self._count_error()
            raise

    async def _answer(self, inbound: Inbound) -> None:
        assert inbound.callback_id is not None
        try:
            await self.outbox.answer_callback(inbound.callback_id, inbound.user_chat)
        except TelegramError:  # an old button: the answer is cosmetic, the action still counts
            log.warning("could not answer callback query %s", inbound.callback_id)

    async def _known(self, event: Incoming) -> identity.ChatUser | None:
        async with self.engine.uow() as uow:
            await uow.single_statement()  # one read: no BEGIN and ROLLBACK round trips
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
