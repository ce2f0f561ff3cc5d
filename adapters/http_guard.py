"""The webhooks' first step: signature or secret, then size, depth and shape, before any parser.

A request that fails here is answered 401 (not signed) or 400 (malformed); what passes has the
types the Slack and Telegram code reads, so a hostile body can only be refused, never crash a
handler (a 500) or, worse, a turn after it was acknowledged.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from slack_sdk.signature import SignatureVerifier

from core.cleaning import clean_json

# Both platforms' bodies are a few kilobytes; aiohttp refuses over 1 MiB itself (413).
MAX_BODY_BYTES = 1024**2
# Slack's deepest payload (a button click carrying its message's blocks) nests about ten levels.
MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class BadBody(ValueError):
    """The body is not what the endpoint accepts."""


def refuse(status: int, reason: str) -> web.Response:
    """A plain-text refusal (401 not signed, 400 malformed)."""
    return web.Response(status=status, text=reason)


def nesting_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in JSON `text` (stops counting past `limit`)."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
    return deepest


def loads(text: str) -> Any:
    """JSON with the depth limit; BadBody for anything else."""
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise BadBody(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or a 5,000-digit number
        raise BadBody(f"not JSON: {exc}") from None


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("not UTF-8") from None


def _check(model: type[BaseModel], data: Any) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "(root)"
        raise BadBody(f"unexpected shape at {where}") from None


class _Loose(BaseModel):
    """Only the fields named are checked; Slack and Telegram add fields all the time."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# -- Telegram ----------------------------------------------------------------------------------


class _TgUser(_Loose):
    id: StrictInt
    is_bot: StrictBool = False
    first_name: StrictStr = ""
    username: StrictStr | None = None
    language_code: StrictStr | None = None


class _TgChat(_Loose):
    id: StrictInt
    type: StrictStr


class _TgMessage(_Loose):
    message_id: StrictInt
    date: StrictInt = 0
    chat: _TgChat
    sender: _TgUser | None = Field(None, alias="from")
    text: StrictStr | None = None
    entities: list[dict[str, Any]] | None = None


class _TgCallback(_Loose):
    id: StrictStr
    sender: _TgUser = Field(alias="from")
    data: StrictStr | None = None
    message: _TgMessage | None = None


class _TgUpdate(_Loose):
    update_id: StrictInt
    message: _TgMessage | None = None
    edited_message: _TgMessage | None = None
    channel_post: _TgMessage | None = None
    callback_query: _TgCallback | None = None


async def telegram_update(request: web.Request) -> dict[str, Any] | web.Response:
    """The update's JSON object once its shape is one we read; a 400 response otherwise.

    Call it after the secret check: nothing is read before that.
    """
    try:
        data = loads(_utf8(await request.read()))
        if not isinstance(data, dict):
            raise BadBody("not a JSON object")
        _check(_TgUpdate, data)
    except BadBody as exc:
        return refuse(400, f"not a Telegram update: {exc}")
    # The update is stored whole in the inbox before the 200, so its strings are cleaned here.
    return cast(dict[str, Any], clean_json(data))


# -- Slack -------------------------------------------------------------------------------------


class _SlackEvent(_Loose):
    type: StrictStr
    user: StrictStr | None = None
    channel: StrictStr | None = None
    text: StrictStr | None = None
    channel_type: StrictStr | None = None
    subtype: StrictStr | None = None
    bot_id: StrictStr | None = None


class _SlackEnvelope(_Loose):
    type: StrictStr
    team_id: StrictStr | None = None
    api_app_id: StrictStr | None = None
    event_id: StrictStr | None = None
    challenge: StrictStr | None = None
    event: _SlackEvent | None = None


class _SlackId(_Loose):
    id: StrictStr


class _SlackAction(_Loose):
    action_id: StrictStr
    text: dict[str, Any] | None = None


class _SlackViewState(_Loose):
    values: dict[str, dict[str, dict[str, Any]]]


class _SlackView(_Loose):
    id: StrictStr
    callback_id: StrictStr | None = None
    private_metadata: StrictStr | None = None
    state: _SlackViewState | None = None


class _SlackInteraction(_Loose):
    type: StrictStr
    user: _SlackId
    team: _SlackId | None = None
    trigger_id: StrictStr | None = None
    actions: list[_SlackAction] | None = None
    container: dict[str, Any] | None = None
    channel: _SlackId | None = None
    view: _SlackView | None = None


class _SlackCommand(_Loose):
    command: StrictStr
    user_id: StrictStr
    channel_id: StrictStr
    trigger_id: StrictStr
    team_id: StrictStr | None = None
    text: StrictStr | None = None


def _slack_form(text: str) -> None:
    try:
        form = urllib.parse.parse_qs(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise BadBody("not a form") from None
    if any(len(values) != 1 for values in form.values()):
        raise BadBody("a form field given twice")
    fields = {name: values[0] for name, values in form.items()}
    if "payload" in fields:
        payload = loads(fields["payload"])
        if not isinstance(payload, dict):
            raise BadBody("payload is not a JSON object")
        _check(_SlackInteraction, payload)
    elif "command" in fields:
        _check(_SlackCommand, fields)
    elif "ssl_check" not in fields:
        raise BadBody("neither a command nor an interaction")


def _slack_json(text: str) -> None:
    data = loads(text)
    if not isinstance(data, dict):
        raise BadBody("not a JSON object")
    _check(_SlackEnvelope, data)


def _signed(body: str, headers: Any, signing_secret: str | None) -> bool:
    if not signing_secret:
        return False
    verifier = SignatureVerifier(signing_secret)
    try:
        return verifier.is_valid(
            body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
        )
    except (ValueError, TypeError):  # a timestamp that is not a number, a non-ASCII signature
        return False


def _object_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply lists and dicts nest in parsed JSON (stops counting past `limit`)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= limit:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


# What each Socket Mode envelope type carries: the HTTP body of the same request.
_SOCKET_PAYLOADS: dict[str, type[BaseModel]] = {
    "events_api": _SlackEnvelope,
    "interactive": _SlackInteraction,
    "slash_commands": _SlackCommand,
}


def slack_socket_payload(kind: str, payload: Any) -> dict[str, Any]:
    """A Socket Mode envelope's payload, checked as its HTTP body would be and cleaned.

    The websocket is authenticated by the app token, so there is no signature to check; the
    size, depth and shape limits are the HTTP ones. BadBody for anything else.
    """
    model = _SOCKET_PAYLOADS.get(kind)
    if model is None:
        raise BadBody(f"not an envelope type we serve: {kind!r}")
    if not isinstance(payload, dict):
        raise BadBody("not a JSON object")
    if _object_depth(payload) > MAX_JSON_DEPTH:
        raise BadBody(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    if len(json.dumps(payload)) > MAX_BODY_BYTES:
        raise BadBody("larger than the HTTP body limit")
    _check(model, payload)
    return cast(dict[str, Any], clean_json(payload))


async def slack_request(request: web.Request, signing_secret: str | None) -> web.Response | None:
    """None when the request is signed and well formed; else the 401 or 400 to answer with."""
    raw = await request.read()
    # Invalid UTF-8 is replaced, so it can never match a signature Slack made: a 401.
    body = raw.decode("utf-8", errors="replace")
    if not _signed(body, request.headers, signing_secret):
        return refuse(401, "invalid signature")
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            _slack_form(body)
        else:
            _slack_json(body)
    except BadBody as exc:
        return refuse(400, f"not a Slack request: {exc}")
    return None
