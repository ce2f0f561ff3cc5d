"""The terminal adapter: the same dialogue on standard input and output, interactive or piped."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from bot.engine import DialogueEngine
from bot.events import Button, Incoming, Reply
from bot.i18n import t
from core.actor import Channel
from core.identity import link_by_email, resolve
from core.models import ChatPlatform
from core.uow import UnitOfWork

WORKSPACE = "local"
BUTTON_HINT = "(#N presses button N)"
DOWNLOADS = Path(".data") / "downloads"


def terminal_language(environ: Mapping[str, str]) -> str | None:
    """The language of the terminal's locale (LC_ALL, LC_MESSAGES, LANG), when we speak it."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split("_", 1)[0].split(".", 1)[0].lower()
            return code if code in ("he", "en") else None
    return None


def render(reply: Reply) -> str:
    """A reply as terminal text, buttons as numbered choices."""
    lines = [reply.text]
    if reply.buttons:
        lines.append("  ".join(f"[#{i}] {b.label}" for i, b in enumerate(reply.buttons, 1)))
    return "\n".join(lines)


def pick(line: str, buttons: tuple[Button, ...]) -> str | None:
    """The action of `#N` when button N is on screen, else None (the line is plain text)."""
    if line.startswith("#") and line[1:].isdigit() and 1 <= int(line[1:]) <= len(buttons):
        return buttons[int(line[1:]) - 1].action
    return None


def save_attachments(reply: Reply, directory: Path) -> list[Path]:
    """Write a reply's files (charts, exports) to `directory`; the terminal shows the paths."""
    saved = []
    for attachment in reply.attachments:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / Path(attachment.filename).name  # never outside the directory
        path.write_bytes(attachment.content)
        saved.append(path)
    return saved


async def link(engine: DialogueEngine, email: str) -> bool:
    """Map this terminal user to the account with `email` (audited as LOGIN)."""
    async with UnitOfWork(engine.session_factory) as uow:
        return await link_by_email(
            uow,
            ChatPlatform.SHELL,
            WORKSPACE,
            email.lower(),
            email,
            Channel("SHELL", "terminal", WORKSPACE),
        )


async def chat(
    engine: DialogueEngine,
    email: str,
    *,
    lines: TextIO = sys.stdin,
    write: Callable[[str], None] = print,
    prompt: bool = False,
    downloads: Path = DOWNLOADS,
    language: str | None = None,
) -> int:
    """Run the dialogue as `email` until end of input; returns the exit code."""
    if not await link(engine, email):
        write(f"No active user with email {email}.")
        return 1
    write(f"Growth Engine — signed in as {email}. {BUTTON_HINT} Ctrl-D to leave.")
    async with UnitOfWork(engine.session_factory) as uow:
        channel = Channel("SHELL", "terminal", WORKSPACE)
        default = engine.settings.default_language
        user = await resolve(
            uow, ChatPlatform.SHELL, WORKSPACE, email.lower(), channel, default, language
        )
    if user is not None:  # the first thing the person reads says how to change the language
        write(t(user.language, "first_contact"))
    buttons: tuple[Button, ...] = ()
    # Event ids are remembered for good (processed_events): each chat session needs its own.
    session = uuid.uuid4().hex
    counter = 0
    while True:
        if prompt:
            write("> ")
        line = await asyncio.to_thread(lines.readline)
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        counter += 1
        action = pick(line, buttons)
        event = Incoming(
            ChatPlatform.SHELL,
            WORKSPACE,
            email.lower(),
            "terminal",
            text="" if action else line,
            action=action,
            event_id=f"shell-{session}-{counter}",
            language=language,
        )
        buttons = ()
        for reply in await engine.handle(event):
            write(render(reply))
            for path in save_attachments(reply, downloads):
                write(f"[file saved: {path}]")
            if reply.buttons:
                buttons = reply.buttons
