"""Hostile input for fuzz tests: texts a person, a broken client or an attacker could send."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

# Each fragment is something that has broken a chat bot somewhere; texts mix several.
FRAGMENTS: tuple[str, ...] = (
    "\x00", "a\x00b", "\x00" * 8,                                  # NUL
    "\ud800", "x\udfffy", "\udbff\udc00"[::-1],                    # lone / reversed surrogates
    "\u202eLiam", "\u202dמאיה\u202c", "\u2066analyze\u2069", "\u061c",  # bidi controls
    "ana\u200blyze", "\u200d\u200c", "\ufeffstudents", "\u2060",  # zero-width
    "\x1b[31mred\x1b[0m", "\x07\x08\x7f", "\x0b\x0c", "\x85", "\u2028\u2029", "\r\n", "\t",
    "Liam ליאם Лиам 利亚姆 ليام", "שָׁלוֹם", "e\u0301\u0301\u0301", "Z̵̡̛a̸͇l̷g̶o",    # scripts, marks
    "👩‍🏫", "🏳️‍🌈", "\U0010ffff", "\uffff\ufffe", "\ue000",                   # emoji, noncharacters
    "<b>bold</b>", "<script>alert(1)</script>", "&amp;&lt;", "*_`~[x](y)", "<@U0TEACHER1>",
    "{name}", "%s%s%n", "{{}}", "{0.__class__}", "${HOME}",           # format strings
    "'; DROP TABLE students; --", "%_\\", "\\", "'\"",                 # SQL-ish
    "[" * 200, "{\"a\":" * 100, "]]]}}}",                              # JSON-looking
    "#1", "#99", "#0", "#-1",                                          # button numbers
    " ", "\u00a0", "\u3000", "",                                       # blanks
)  # fmt: skip
PREFIXES: tuple[str, ...] = (
    "", "", "", "analyze ", "students ", "/help ", "note ", "lang ", "history ", "summary ",
    "admin users ", "/start ", "finish ", "cancel ", "ניתוח ",
)
HUGE: tuple[str, ...] = ("א" * 5000, "x" * 12000, "🙂" * 3000, "[" * 4000, "\x00" * 3000)


def hostile_texts(count: int, seed: int = 11) -> Iterator[str]:
    """`count` hostile texts, the same ones for the same seed; every fragment appears."""
    rng = random.Random(seed)
    # An empty message is not something a platform delivers; NUL alone stands in for it.
    yield from (fragment or "\x00" for fragment in FRAGMENTS)
    yield from HUGE
    for _ in range(count - len(FRAGMENTS) - len(HUGE)):
        parts = rng.choices(FRAGMENTS, k=rng.randint(1, 5))
        yield rng.choice(PREFIXES) + "".join(parts)


def deep(levels: int) -> str:
    """JSON text nested `levels` deep."""
    return "[" * levels + "]" * levels


def telegram_malformed(update_id: int, good: dict[str, Any]) -> list[str]:
    """Bodies the Telegram webhook must refuse with 400 (sent with the right secret)."""
    message = good["message"]
    shapes: list[Any] = [
        [], "abc", 123, None, True, {}, {"update_id": "1"}, {"update_id": 1.5},
        {"update_id": 1, "message": "x"}, {"update_id": 1, "message": []},
        {"update_id": 1, "message": {**message, "chat": "x"}},
        {"update_id": 1, "message": {**message, "chat": {"id": "42", "type": "private"}}},
        {"update_id": 1, "message": {**message, "from": 7}},
        {"update_id": 1, "message": {**message, "text": 5}},
        {"update_id": 1, "message": {**message, "text": ["a"]}},
        {"update_id": 1, "message": {**message, "message_id": None}},
        {"update_id": 1, "callback_query": {"id": 1, "from": message["from"], "data": "save"}},
        {"update_id": 1, "callback_query": {"id": "q", "data": "save"}},
        {"update_id": 1, "callback_query": {"id": "q", "from": message["from"], "data": {}}},
        {"update_id": 1, "edited_message": 3},
    ]
    texts = [json.dumps(shape) for shape in shapes]
    texts += [
        "{", "", "nul\x00l", "[1, 2", '{"update_id": 1,}', "NaN]", deep(100_000),
        '{"update_id": 1, "message": ' + deep(5_000) + "}",
        '{"update_id": ' + "9" * 5000 + "}",
    ]
    return texts


def slack_event_malformed(good: dict[str, Any]) -> list[str]:
    """Events API bodies that must be refused with 400 (when signed)."""
    event = good["event"]
    shapes: list[Any] = [
        [], "abc", 123, None, {}, {"type": 5}, {"type": "event_callback", "event": "x"},
        {**good, "event": []}, {**good, "event": {**event, "type": None}},
        {**good, "event": {**event, "user": 42}}, {**good, "event": {**event, "text": {"a": 1}}},
        {**good, "event": {**event, "channel": ["D1"]}}, {**good, "event_id": 99},
        {**good, "team_id": {"id": "T1"}}, {"type": "url_verification", "challenge": 7},
        {**good, "event": {**event, "bot_id": False}},
    ]
    texts = [json.dumps(shape) for shape in shapes]
    texts += ["{", "", "null]", "[1, 2", deep(100_000), '{"type": ' + deep(3_000) + "}",
              '{"type": "event_callback", "event_time": ' + "9" * 5000 + "}"]  # fmt: skip
    return texts


def slack_form_malformed(good_payload: dict[str, Any], good_command: dict[str, str]) -> list[str]:
    """Form bodies (interactivity payloads, slash commands) refused with 400 (when signed)."""
    from urllib.parse import urlencode

    payloads: list[Any] = [
        [], "abc", 123, None, {}, {"type": "block_actions"},
        {**good_payload, "user": "U1"}, {**good_payload, "user": {"id": 5}},
        {**good_payload, "actions": "x"}, {**good_payload, "actions": [{"action_id": 3}]},
        {**good_payload, "view": {"id": 3}}, {**good_payload, "channel": "C1"},
        {**good_payload, "view": {"id": "V1", "state": {"values": "x"}}},
    ]
    texts = [urlencode({"payload": json.dumps(p)}) for p in payloads]
    texts += [urlencode({"payload": raw}) for raw in ("{", "", deep(100_000), "%7B")]
    commands = [
        {k: v for k, v in good_command.items() if k != "user_id"},
        {k: v for k, v in good_command.items() if k != "trigger_id"},
        {k: v for k, v in good_command.items() if k != "channel_id"},
    ]
    texts += [urlencode(c) for c in commands]
    texts += [
        "payload=%7B", "payload", "=&=&", "a=1&a=2", "&".join(f"f{i}=1" for i in range(500)),
        urlencode({**good_command, "user_id": "U1"}) + "&user_id=U2", "%ZZ=1", "just text",
    ]
    return texts
