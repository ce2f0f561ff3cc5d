"""A message no command, question or name reads: a button's number when no button of that
number is offered now ("#1" in the terminal, where `#N` presses button N) or a number alone
when nothing numbered is ("1", as a list invites), told so; else "I did not understand" with
the person's commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.events import Reply
from bot.help import not_understood

if TYPE_CHECKING:
    from bot.context import Context

# "#1" (a press of button 1 as the terminal writes it) or a number alone, as a numbered list
# invites; a longer number is no button (a school number is looked up as a name before this).
_BUTTON = re.compile(r"#\s*(\d{1,3})|(\d{1,2})")
_PRESSED = re.compile(r"#\s*(\d{1,3})")


def button_number(said: str, *, alone: bool = True) -> str | None:
    """The number `said` picks ("#1", or with `alone`, "1"), or None for other text."""
    found = (_BUTTON if alone else _PRESSED).fullmatch(said.strip())
    return None if found is None else str(int(next(g for g in found.groups() if g)))


def unclear(ctx: Context, said: str) -> Reply:
    """The reply to `said`, which nothing read: nothing of its number now, else "I did not
    understand" and the commands."""
    number = button_number(said)
    if number is not None:  # the buttons or the list it meant are gone, or are shorter
        pressed = said.strip().startswith("#")
        return Reply(ctx.say("no_button" if pressed else "no_number", n=number))
    return not_understood(ctx, said)
