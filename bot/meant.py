"""Did you mean the command? Asked where a message could be a command or something else: a
command word where free text is awaited, or a near miss of one where a command is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Parsed, nearest, parse
from bot.events import Button, Reply

if TYPE_CHECKING:
    from bot.engine import Context

SHOWN = 40  # characters of a message quoted back; a pasted paragraph is cut


def did_you_mean(ctx: Context, word: str) -> list[Reply]:
    """A command word where free text is expected: ask, keeping the message until the teacher
    picks (the button names the command; the message with its argument waits in the state)."""
    ctx.data["pending"] = word
    buttons = (
        Button(ctx.say("did_you_mean_yes", word=word), f"run:{word.split()[0]}"),
        Button(ctx.say("did_you_mean_no"), "answer"),
    )
    return [Reply(ctx.say("did_you_mean", word=word), buttons)]


def near_miss(ctx: Context, said: str) -> list[Reply] | None:
    """A misspelt command (`sumary school`): the command spelt right, offered with a button that
    runs it as written; None when no command of the person's role is near."""
    meant = nearest(said, ctx.user.actor.role)
    if meant is None:
        return None
    ctx.data["pending"] = meant
    shown = said if len(said) <= SHOWN else said[: SHOWN - 1] + "…"
    buttons = (
        Button(ctx.say("did_you_mean_yes", word=meant), f"run:{meant.split()[0]}"),
        Button(ctx.say("did_you_mean_help"), "help"),
    )
    return [Reply(ctx.say("did_you_mean_typo", text=shown, word=meant), buttons)]


def settle(parsed: Parsed, pending: str | None) -> Parsed:
    """The did-you-mean buttons: `run` is the command (slashed), `answer` the word as text."""
    if parsed.verb == "run" and pending:
        meant = parse(pending)
        return Parsed(meant.verb, meant.argument, True)
    if parsed.verb == "answer" and pending:
        return Parsed(None, pending, False)
    return parsed
