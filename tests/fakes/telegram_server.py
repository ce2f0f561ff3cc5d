"""FakeTelegram: a real local Bot API server (`/bot<token>/<method>`) recording every call.

It answers like Telegram does where tests care: Message objects PTB can parse, HTML checked as
parse_mode=HTML would be (a stray `<script>` is a 400), texts over 4096 refused, and 429 with
`retry_after` on demand. Also builders for the Update JSON Telegram would post or poll.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope", "link_preview_options"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "span", "tg-spoiler", "tg-emoji", "blockquote"}
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
BARE_ANGLE = re.compile(r"<(?!/?[a-z-]+[\s>])")


class _Html(HTMLParser):
    """Telegram's HTML subset: known tags only; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render_html(markup: str) -> str:
    """What the user sees of an HTML message; ValueError when Telegram would refuse it."""
    if BARE_AMPERSAND.search(markup):
        raise ValueError("Can't parse entities: unescaped &")
    if BARE_ANGLE.search(markup):
        raise ValueError("Can't parse entities: unescaped <")
    parser = _Html()
    parser.feed(markup)
    parser.close()
    if parser.error:
        raise ValueError(f"Can't parse entities: {parser.error}")
    return html.unescape("".join(parser.text))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request to the fake: method, decoded parameters, uploads, when, and the answer."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None


@dataclass
class Sent:
    """A message the fake accepted: rendered text, the raw HTML, keyboard and Message JSON."""

    chat_id: int
    text: str
    raw: str
    buttons: list[tuple[str, str]]
    message: dict[str, Any]
    at: float


def _decode(name: str, value: str) -> Any:
    if name in JSON_FIELDS or name in ("chat_id", "offset", "timeout", "limit"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram(FakeServer):
    """Bot API stand-in on 127.0.0.1 (random port); use `async with`."""

    url_path = "/bot"

    def __init__(self, token: str = TOKEN, username: str = "GrowthEngineBot") -> None:
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.me = {"id": self.bot_id, "is_bot": True, "first_name": "Growth Engine",
                   "username": username}
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self._limited: list[int] = []  # retry_after of the next sendMessage calls to refuse
        self._message_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Every Bot API method, by GET or POST."""
        router.add_post("/bot{token}/{method}", self._handle)
        router.add_get("/bot{token}/{method}", self._handle)

    # -- scripting and inspection --------------------------------------------------------------

    def rate_limit_next(self, count: int = 1, retry_after: int = 2) -> None:
        """Refuse the next `count` sendMessage calls with 429 and this retry_after."""
        self._limited += [retry_after] * count

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling)."""
        self._updates.append(update)
        self._new_update.set()

    def calls_to(self, method: str) -> list[Call]:
        """Every call of `method`, including refused ones."""
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[Sent]:
        """Messages accepted for `chat_id`, in order."""
        return [s for s in self.sent if s.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """The texts a user in `chat_id` sees, in order."""
        return [s.text for s in self.sent_to(chat_id)]

    # -- server --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(404, "Not Found")
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, str):
                params[name] = _decode(name, value)
            else:
                files[name] = value.file.read()
        if request.content_type == "application/json":
            params = await request.json()
        call = Call(method, params, time.monotonic(), files=files)
        self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found", call)
        return await handler(call)

    def _ok(self, call: Call, result: Any) -> web.Response:
        call.result = result
        return web.json_response({"ok": True, "result": result})

    def _error(
        self, status: int, description: str, call: Call | None = None, **parameters: Any
    ) -> web.Response:
        if call is not None:
            call.status = status
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        chat = ({"id": chat_id, "type": "private", "first_name": "User"} if chat_id > 0
                else {"id": chat_id, "type": "supergroup", "title": "Staff room"})
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": self.me, **content}

    async def _m_getMe(self, call: Call) -> web.Response:
        return self._ok(call, {**self.me, "can_join_groups": True,
                               "can_read_all_group_messages": False,
                               "supports_inline_queries": False})

    async def _m_setMyCommands(self, call: Call) -> web.Response:
        return self._ok(call, True)

    async def _m_deleteWebhook(self, call: Call) -> web.Response:
        return self._ok(call, True)

    async def _m_answerCallbackQuery(self, call: Call) -> web.Response:
        return self._ok(call, True)

    async def _m_sendChatAction(self, call: Call) -> web.Response:
        return self._ok(call, True)

    async def _m_editMessageReplyMarkup(self, call: Call) -> web.Response:
        return self._ok(call, True)

    async def _m_sendMessage(self, call: Call) -> web.Response:
        if self._limited:
            retry_after = self._limited.pop(0)
            return self._error(429, f"Too Many Requests: retry after {retry_after}", call,
                               retry_after=retry_after)
        raw = str(call.params.get("text", ""))
        try:
            text = render_html(raw) if call.params.get("parse_mode") == "HTML" else raw
        except ValueError as error:
            return self._error(400, f"Bad Request: {error}", call)
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty", call)
        if utf16_len(text) > 4096:
            return self._error(400, "Bad Request: message is too long", call)
        chat_id = int(call.params["chat_id"])
        markup = call.params.get("reply_markup")
        message = self._message(chat_id, text=text, **({"reply_markup": markup} if markup else {}))
        rows = (markup or {}).get("inline_keyboard", [])
        buttons = [(b["text"], b["callback_data"]) for row in rows for b in row]
        self.sent.append(Sent(chat_id, text, raw, buttons, message, call.at))
        return self._ok(call, message)

    async def _m_sendPhoto(self, call: Call) -> web.Response:
        size = len(call.files.get("photo", b""))
        photo = {"file_id": f"photo-{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}",
                 "width": 1, "height": 1, "file_size": size}
        return self._ok(call, self._message(int(call.params["chat_id"]), photo=[photo]))

    async def _m_sendDocument(self, call: Call) -> web.Response:
        document = {"file_id": f"doc-{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}",
                    "file_size": len(call.files.get("document", b""))}
        return self._ok(call, self._message(int(call.params["chat_id"]), document=document))

    async def _m_getUpdates(self, call: Call) -> web.Response:
        offset = int(call.params.get("offset") or 0)
        deadline = time.monotonic() + min(float(call.params.get("timeout") or 0), 1.0)
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                return self._ok(call, ready)
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                pass


# -- Update JSON, as Telegram posts it ---------------------------------------------------------


def user(
    user_id: int, first_name: str = "Dana", language_code: str | None = "he"
) -> dict[str, Any]:
    """A Telegram user object."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


def private_chat(user_id: int, first_name: str = "Dana") -> dict[str, Any]:
    """The private chat with a user (its id is the user's id)."""
    return {"id": user_id, "type": "private", "first_name": first_name}


def group_chat(chat_id: int, title: str = "Staff room") -> dict[str, Any]:
    """A supergroup (negative id)."""
    return {"id": chat_id, "type": "supergroup", "title": title}


def message_update(
    update_id: int,
    text: str,
    *,
    user_id: int,
    chat: dict[str, Any] | None = None,
    language_code: str | None = "he",
) -> dict[str, Any]:
    """A text message update; a leading /command gets its bot_command entity."""
    message: dict[str, Any] = {
        "message_id": 1000 + update_id,
        "date": int(time.time()),
        "chat": chat or private_chat(user_id),
        "from": user(user_id, language_code=language_code),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int, data: str, *, user_id: int, message: dict[str, Any]
) -> dict[str, Any]:
    """A button press on `message` (a Message the bot sent, as the fake returned it)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": user(user_id),
            "chat_instance": f"ci-{message['chat']['id']}",
            "message": message,
            "data": data,
        },
    }
