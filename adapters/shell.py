"""The terminal adapter: the same dialogue on standard input and output, interactive or piped."""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from adapters.terminal_input import ReadLine, read_message, standard_input
from adapters.terminal_text import BidiMode, align_columns, for_terminal
from bot.engine import DialogueEngine
from bot.events import Button, Incoming, Reply
from bot.i18n import t
from core.actor import Channel
from core.cleaning import clean_text
from core.identity import link_by_email, resolve
from core.models import ChatPlatform
from core.uow import UnitOfWork

WORKSPACE = "local"
DOWNLOADS_FOLDER = "downloads"  # under DATA_DIR, one folder per user inside
DOWNLOADS = Path(".data") / DOWNLOADS_FOLDER


def terminal_language(environ: Mapping[str, str]) -> str | None:
    """The language of the terminal's locale (LC_ALL, LC_MESSAGES, LANG), when we speak it."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split("_", 1)[0].split(".", 1)[0].lower()
            return code if code in ("he", "en") else None
    return None


def render(reply: Reply, bidi: BidiMode = "logical") -> str:
    """A reply as terminal text: list columns aligned, buttons as numbered choices, and
    right-to-left lines reordered when the terminal cannot (`bidi="visual"`)."""
    lines = align_columns(reply.text.split("\n"))
    if reply.buttons:
        lines.append("  ".join(f"[#{i}] {b.label}" for i, b in enumerate(reply.buttons, 1)))
    return for_terminal("\n".join(lines), bidi)


def pick(line: str, buttons: tuple[Button, ...]) -> str | None:
    """The action of `#N` when button N is on screen, else None (the line is plain text)."""
    if line.startswith("#") and line[1:].isdigit() and 1 <= int(line[1:]) <= len(buttons):
        return buttons[int(line[1:]) - 1].action
    return None


def user_folder(root: Path, email: str) -> Path:
    """Where one user's files go under `root`: a folder named after their address."""
    # Addresses are already safe file names but for a few characters; never a path separator.
    return root / (re.sub(r"[^\w@.+-]", "_", email.strip().lower()).lstrip(".") or "_")


def save_attachments(reply: Reply, directory: Path) -> list[Path]:
    """Write a reply's files (charts, exports) to `directory`; the terminal shows the paths.

    Each file gets a new name (the attachment's own, then the UTC time, then -2, -3... if that
    is taken), created exclusively, so no earlier file, nor another process's, is ever
    overwritten.
    """
    saved = []
    for attachment in reply.attachments:
        directory.mkdir(parents=True, exist_ok=True)
        original = Path(Path(attachment.filename).name)  # never outside the directory
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        for n in itertools.count(1):
            suffix = "" if n == 1 else f"-{n}"
            path = directory / f"{original.stem}-{stamp}{suffix}{original.suffix}"
            try:
                with path.open("xb") as file:
                    file.write(attachment.content)
            except FileExistsError:
                continue
            break
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


async def _language(engine: DialogueEngine, email: str, hint: str | None) -> str:
    """The language the dialogue answers this terminal user in now."""
    async with UnitOfWork(engine.session_factory) as uow:
        channel = Channel("SHELL", "terminal", WORKSPACE)
        default = engine.settings.default_language
        user = await resolve(
            uow, ChatPlatform.SHELL, WORKSPACE, email.lower(), channel, default, hint
        )
    return user.language if user is not None else default


async def chat(
    engine: DialogueEngine,
    email: str,
    *,
    lines: ReadLine | None = None,
    write: Callable[[str], None] = print,
    prompt: bool = False,
    downloads: Path = DOWNLOADS,
    bidi: BidiMode = "logical",
    language: str | None = None,
) -> int:
    """Run the dialogue as `email` until end of input; returns the exit code.

    `lines` reads one line (None at the end); by default standard input, see terminal_input.
    Files go to the user's own folder in `downloads`.
    """
    if lines is None:
        lines, prompt = standard_input()
    if not await link(engine, email):
        write(f"No active user with email {email}.")
        return 1
    speaks = await _language(engine, email, language)
    write(for_terminal(t(speaks, "terminal_hello", email=email), bidi))
    # The first thing the person reads says how to change the language.
    write(for_terminal(t(speaks, "first_contact"), bidi))
    buttons: tuple[Button, ...] = ()
    # Event ids unique to this run: a second run's first lines are not "seen before".
    run = uuid.uuid4().hex
    counter = 0
    while True:
        message = await asyncio.to_thread(read_message, lines, prompt=prompt)
        if message is None:
            return 0
        text = clean_text(message).strip()
        if not text:
            continue
        counter += 1
        action = pick(text, buttons)
        event = Incoming(
            ChatPlatform.SHELL,
            WORKSPACE,
            email.lower(),
            "terminal",
            text="" if action else text,
            action=action,
            event_id=f"shell-{run}-{counter}",
            language=language,
            new_screen=counter == 1,
        )
        buttons = ()
        for reply in await engine.handle(event):
            write(render(reply, bidi))
            saved = save_attachments(reply, user_folder(downloads, email))
            if saved:  # said in the language the person reads now (`lang` may have changed it)
                speaks = await _language(engine, email, language)
            for path in saved:
                write(for_terminal(t(speaks, "terminal_file_saved", path=path), bidi))
            if reply.buttons:
                buttons = reply.buttons
