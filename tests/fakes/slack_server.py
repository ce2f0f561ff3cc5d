"""FakeSlack: a real local HTTP server speaking the Slack Web API, and Slack's side of requests.

The server records every call (method and arguments), answers like Slack for the methods the
adapter uses, can answer 429 with Retry-After, and serves Socket Mode over a websocket. The
payload builders and `signed` produce what Slack sends to an app, signed with v0 HMAC.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.base import FakeServer

TEAM, APP, BOT_USER = "T0DEMO", "A0GROWTH", "U0BOT"
BOT_TOKEN, APP_TOKEN, SIGNING_SECRET = "xoxb-fake-token", "xapp-fake-token", "fake-signing-secret"


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeSlack(FakeServer):
    """Scripted Slack on 127.0.0.1 (random port); use `async with`."""

    url_path = "/api/"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._limits: defaultdict[str, list[float]] = defaultdict(list)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """The Web API, file uploads, response_urls and the Socket Mode websocket."""
        router.add_route("*", "/api/{method}", self._api)
        router.add_post("/upload/{file_id}", self._upload)
        router.add_post("/respond/{name}", self._respond)
        router.add_get("/socket", self._socket)

    async def close_connections(self) -> None:
        """Close every Socket Mode connection."""
        for socket in list(self._sockets):
            await socket.close()

    # -- scripting -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        email: str | None,
        *,
        locale: str = "en-US",
        email_confirmed: bool = True,
        team_id: str = TEAM,
    ) -> None:
        """A workspace member; `users.info` returns this email (None: no email visible)."""
        profile = {"real_name": user_id, **({"email": email} if email else {})}
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": user_id.lower(),
            "is_email_confirmed": email_confirmed,
            "is_bot": False,
            "locale": locale,
            "profile": profile,
        }

    def rate_limit(self, method: str, *, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this Retry-After."""
        self._limits[method] += [retry_after] * times

    def response_url(self, name: str) -> str:
        """A response_url that records what is posted to it (method `response_url`)."""
        return f"{self.root}/respond/{name}"

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to every connected app."""
        for socket in self._sockets:
            await socket.send_json(envelope)

    # -- inspection ----------------------------------------------------------------------------

    def called(self, method: str, status: int = 200) -> list[dict[str, Any]]:
        """Arguments of the calls of `method` answered with `status`."""
        return [c.args for c in self.calls if c.method == method and c.status == status]

    @property
    def connected(self) -> bool:
        """Whether an app is connected over Socket Mode."""
        return bool(self._sockets)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (to `channel`), in order."""
        posted = self.called("chat.postMessage")
        return [m for m in posted if channel is None or m.get("channel") == channel]

    async def wait_for(self, condition: Callable[[], object], within: float = 10) -> None:
        """Poll until `condition()` is true; fail after `within` seconds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)

    async def wait_messages(
        self, channel: str, count: int, within: float = 10
    ) -> list[dict[str, Any]]:
        """The first `count` messages in `channel`, once they have been posted."""
        await self.wait_for(lambda: len(self.messages(channel)) >= count, within)
        return self.messages(channel)[:count]

    # -- server --------------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        for key in ("blocks", "view", "files"):  # form-encoded calls send these as JSON text
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if self._limits[method]:
            retry_after = self._limits[method].pop(0)
            self.calls.append(Call(method, args, 429))
            headers = {"Retry-After": f"{retry_after:g}"}
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers=headers)
        self.calls.append(Call(method, args, 200))
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response({"ok": True, **handler(args)})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0BOT", "team": "Demo"}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self.users.get(args["user"], {"id": args["user"], "is_bot": True})}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": f"D{args['users']}"}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        return {"channel": args["channel"], "ts": ts, "message": {"text": args.get("text")}}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {**args["view"], "id": f"V{next(self._ids)}"}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids)}"
        return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"files": [{"id": f["id"], "title": f.get("title")} for f in args["files"]]}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.root.replace("http", "ws", 1) + "/socket"}

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads[request.match_info["file_id"]] = body
        return web.Response(text=f"OK - {len(body)}")

    async def _respond(self, request: web.Request) -> web.Response:
        args = {"name": request.match_info["name"], **await request.json()}
        self.calls.append(Call("response_url", args, 200))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self._sockets.remove(socket)
        return socket


# -- what Slack sends to the app ---------------------------------------------------------------


def signed(body: str, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body`, as of `at` (default: now)."""
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": str(signature)}


def event_callback(event: dict[str, Any], event_id: str) -> str:
    """An Events API `event_callback` body."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP,
            "event": {"event_ts": "1700000000.000100", "ts": "1700000000.000100", **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        },
        ensure_ascii=False,
    )


def im_message(user: str, text: str) -> dict[str, Any]:
    """A `message` event typed by `user` in their DM with the bot."""
    return {
        "type": "message",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "channel_type": "im",
    }


def mention(user: str, channel: str, text: str) -> dict[str, Any]:
    """An `app_mention` event in a channel."""
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
    }


def slash_command(user: str, channel: str, text: str, *, trigger_id: str, response_url: str) -> str:
    """A form-encoded `/ge` slash command."""
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "demo",
            "channel_id": channel,
            "channel_name": "directmessage" if channel[0] == "D" else "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/ge",
            "text": text,
            "api_app_id": APP,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_action(user: str, message: dict[str, Any], action_id: str, *, trigger_id: str) -> str:
    """A form-encoded `block_actions` payload: `user` clicked `action_id` on `message`."""
    button = next(
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": APP,
        "token": "legacy-verification-token",
        "team": {"id": TEAM, "domain": "demo"},
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": message["channel"],
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "channel": {"id": message["channel"], "name": "directmessage"},
        "message": {"type": "message", "text": message.get("text"), "blocks": message["blocks"]},
        "response_url": f"https://hooks.slack.invalid/actions/{trigger_id}",
        "actions": [{**button, "block_id": "b1", "action_ts": str(time.time())}],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def view_submission(user: str, view: dict[str, Any], values: dict[str, dict[str, str]]) -> str:
    """A form-encoded `view_submission`: `values` is block_id → action_id → typed text."""
    state = {
        block: {
            action: {"type": "plain_text_input", "value": text} for action, text in actions.items()
        }
        for block, actions in values.items()
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "demo"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": APP,
        "token": "legacy-verification-token",
        "trigger_id": "view-trigger",
        "view": {
            **view,
            "team_id": TEAM,
            "state": {"values": state},
            "hash": "h",
            "app_id": APP,
            "bot_id": "B0BOT",
        },
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A posted message's buttons: label → action_id."""
    return {
        element["text"]["text"]: element["action_id"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    }


def text_of(message: dict[str, Any]) -> str:
    """The text a person sees in a posted message (its section blocks)."""
    return "\n".join(
        block["text"]["text"] for block in message.get("blocks", []) if block["type"] == "section"
    )
