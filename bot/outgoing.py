"""Replies as plain JSON values, so the outbox can keep them until they are sent."""

from __future__ import annotations

import base64
from typing import Any

from bot.events import Attachment, Button, Reply


def encode(reply: Reply) -> dict[str, Any]:
    """The reply as a JSON object (attachments base64)."""
    value: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        value["buttons"] = [[b.label, b.action] for b in reply.buttons]
    if reply.public:
        value["public"] = True
    if reply.attachments:
        value["attachments"] = [
            [a.filename, base64.b64encode(a.content).decode("ascii"), a.mime_type]
            for a in reply.attachments
        ]
    return value


def decode(value: dict[str, Any]) -> Reply:
    """The reply `encode` stored."""
    return Reply(
        str(value.get("text", "")),
        tuple(Button(str(label), str(action)) for label, action in value.get("buttons", ())),
        bool(value.get("public", False)),
        tuple(
            Attachment(str(name), base64.b64decode(content), str(mime))
            for name, content, mime in value.get("attachments", ())
        ),
    )
