"""What a person can press: on a new terminal chat, nothing an earlier chat offered.

The buttons and numbers a reply offers are kept with the conversation (platform, workspace,
user), so a typed "1" presses them later: in Slack and Telegram the old message stays in view,
and "1" means what the person sees there. A new `growth-engine chat` starts on an empty screen
(its first message is `new_screen`): there a number typed first presses nothing shown before. A
choice or a review still waits across the restart, and is shown again with its buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Parsed
from bot.events import Button, Reply
from bot.i18n import isolate
from bot.meant import ACTIONS, PENDING_KEYS, YES_FIRST, button_number

if TYPE_CHECKING:
    from bot.context import Context


def forget_offers(ctx: Context) -> None:
    """On a new screen, the numbers and the yes an earlier reply offered press nothing, and a
    did-you-mean question no longer shown is answered by nothing ("yes" first in a new chat
    ran the command a screen no one sees had offered)."""
    if ctx.event.new_screen:
        for key in (ACTIONS, YES_FIRST, *PENDING_KEYS):
            ctx.data.pop(key, None)


def unseen_press(ctx: Context, parsed: Parsed) -> Reply | None:
    """On a new screen, a number typed where a choice or the review menu waits ("#1", "1"):
    that nothing of that number is shown yet, said before where the person left off; else
    None (the number is read as it always is)."""
    number = button_number(parsed.argument) if parsed.verb is None else None
    if not ctx.event.new_screen or number is None:
        return None
    pressed = parsed.argument.strip().startswith("#")
    return Reply(ctx.say("no_button_shown" if pressed else "no_number_shown", n=number))


def choice_again(ctx: Context) -> Reply:
    """The students to choose between, as the choice was offered, with their buttons."""
    names: list[str] = ctx.data.get("names", [])
    lines = [ctx.say("choose" if len(names) > 1 else "choose_guess")]
    lines += [f"{i}. {isolate(name)}" for i, name in enumerate(names, 1)]
    buttons = tuple(Button(f"{i}. {name}", f"choose:{i}") for i, name in enumerate(names, 1))
    return Reply("\n".join(lines), buttons)
