"""One `admin ...` command being run: who runs it, in which language, with which units of
work, and the runners that turn a service's result into a reply. The command table is
`bot.admin_commands`; the records and audit commands, `bot.admin_records`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.events import Attachment, Reply
from bot.i18n import isolate, t, tn
from core.actor import Actor
from core.uow import UnitOfWork

Replies = list[Reply]


@dataclass(frozen=True)
class Call:
    """One admin command being run: units of work, who, language, files sent with it."""

    uow: Callable[[], UnitOfWork]
    actor: Actor
    language: str
    attachments: tuple[Attachment, ...] = ()
    bot_username: str | None = None
    # Read-only units (audit queries): the read replica when configured; else `uow`.
    read_uow: Callable[[], UnitOfWork] | None = None
    cli: bool = False  # run by `growth-engine admin`: a next page is a shell command
    in_words: bool = False  # asked in everyday words: a next page is "more", no command
    files: bool = True  # the chat can carry a file with the command (the terminal cannot)
    # The options of the next page of a list shown (`{"before": ID}`), for the reply to name.
    pages: list[dict[str, Any]] = field(default_factory=list)

    def say(self, sentence: str, /, **values: Any) -> str:
        """A catalogue sentence in the caller's language."""
        return t(self.language, sentence, **values)

    def say_n(self, sentence: str, n: int, /, **values: Any) -> str:
        """A sentence with plural forms, in the form that fits `n` ("1 analysis of 30 used")."""
        return tn(self.language, sentence, n, **values)

    def count(self, noun: str, n: int) -> str:
        """`n` things in the plural form that fits (`n_analyses`: "1 analysis", "2 analyses")."""
        return tn(self.language, noun, n)

    async def run(self, fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """A service in its own unit of work, as the caller."""
        async with self.uow() as uow:
            return await fn(uow=uow, actor=self.actor, **kwargs)

    async def run_read(self, fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """A read-only service in its own unit of work (on the replica when there is one)."""
        async with (self.read_uow or self.uow)() as uow:
            return await fn(uow=uow, actor=self.actor, **kwargs)


Runner = Callable[[Call, dict[str, Any]], Awaitable[Replies]]


def listed(c: Call, lines: list[str], items: list[Any], more: dict[str, Any] | None) -> Replies:
    """A list's lines, then "none" when it is empty; the options of its next page, when there
    is one, are kept on `c` (how to ask for it depends on how this one was asked for)."""
    if not items:
        lines.append(c.say("admin_none"))
    elif more:
        c.pages.append(more)
    return [Reply("\n".join(lines))]


def one_sentence(fn: Callable[..., Awaitable[Any]], key: str, arguments: str) -> Runner:
    """A runner: one service, arguments as `name` or `name=keyword`, one sentence back."""
    pairs = [(w.split("=")[0], w.split("=")[-1]) for w in arguments.split()]

    async def run(c: Call, a: dict[str, Any]) -> Replies:
        view = await c.run(fn, **{keyword: a.get(name) for name, keyword in pairs})
        values = {k: isolate(v) if k == "name" else v for k, v in vars(view).items()}
        if "role" in values:  # "מורה" in a Hebrew reply; the word the command takes in English
            values["role"] = c.say(f"role_{values['role']}")
        full_name = getattr(view, "full_name", "")
        return [Reply(c.say(key, **values, full_name=isolate(full_name)))]

    return run
