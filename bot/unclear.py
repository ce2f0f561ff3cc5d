"""A message no command, question or name reads: a button's number when no button of that
number is offered now ("#1" in the terminal, where `#N` presses button N) or a number alone
when nothing numbered is ("1", as a list invites), told so; a teacher's sentence right after a
student's name was offered (an observation about them, before any analysis started), told it
was not kept and how to start; else "I did not understand" with the person's commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import parse
from bot.events import Reply
from bot.help import not_understood
from bot.i18n import isolate
from bot.meant import Pending, button_number, offer_name
from core.models import UserRole

if TYPE_CHECKING:
    from bot.context import Context


def _not_started(ctx: Context, said: str, pending: Pending | None) -> Reply | None:
    """A teacher's sentence after a student's name was offered ("Noa", then "She's great at
    math but..."): written for an analysis that has not started, so nothing is kept; the reply
    says how to start it, with the name's buttons again. None for anything else."""
    if pending is None or parse(pending.command).verb is not None:  # no name was offered
        return None
    if ctx.user.actor.role is not UserRole.TEACHER or len(said.split()) < 2:
        return None  # a word alone is no observation: not understood, as before
    buttons = offer_name(ctx, pending.text)
    name, command = isolate(pending.text), buttons[0].label
    return Reply(ctx.say("name_not_started", name=name, command=command), buttons)


def unclear(ctx: Context, said: str, pending: Pending | None = None) -> Reply:
    """The reply to `said`, which nothing read (`pending`: what the reply before offered):
    nothing of its number now, an analysis not started, else "I did not understand" and the
    commands."""
    number = button_number(said)
    if number is not None:  # the buttons or the list it meant are gone, or are shorter
        pressed = said.strip().startswith("#")
        return Reply(ctx.say("no_button" if pressed else "no_number", n=number))
    return _not_started(ctx, said, pending) or not_understood(ctx, said)
