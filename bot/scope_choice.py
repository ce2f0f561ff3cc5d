"""Several classes (or teachers) match what a summary or an export named: offered as numbered
choices, each with a button.

A button's action on Telegram is at most 64 bytes, so a class's name cannot travel in it: the
commands the choices run are kept in the conversation's state, and a button (`pick:N`), its
number typed ("1", "#1") or the name as shown ("עברית") runs one. Like a did-you-mean
question's, the choices answer the next message only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Parsed, parse, word
from bot.events import Button, Reply
from bot.i18n import isolate
from bot.meant import offer_buttons
from bot.names_typed import picked_by_name
from core.errors import DomainError
from core.scopes import AmbiguousClass, AmbiguousTeacher

if TYPE_CHECKING:
    from bot.context import Context

CHOICES = "scope_choices"  # in the state: the commands the choices run
LABELS = "scope_labels"  # ...and what each choice is called, as shown
PICK = "pick"


def offer_scopes(ctx: Context, error: DomainError, verb: str, argument: str) -> Reply | None:
    """The classes or teachers `error` says match, numbered, with buttons that run `verb`
    on each; None for any other error, or when the words cannot be written again."""
    if isinstance(error, AmbiguousClass):
        typed, key, named, labels = error.value, "which_class", error.names, error.names
    elif isinstance(error, AmbiguousTeacher):
        typed, key, named, labels = error.name, "which_teacher", error.emails, error.candidates
    else:
        return None
    before, found, after = argument.rpartition(typed)
    if not found:  # written otherwise (folded, another script): the sentence says what to do
        return None
    commands = [f"{word(ctx.language, verb)} {before}{name}{after}".strip() for name in named]
    ctx.data[CHOICES], ctx.data[LABELS] = commands, labels
    buttons = tuple(Button(f"{i}. {label}", f"{PICK}:{i}") for i, label in enumerate(labels, 1))
    offer_buttons(ctx, buttons)  # a typed "1" presses the first
    lines = [ctx.say(key, value=typed)]
    lines += [f"{i}. {_shown(label)}" for i, label in enumerate(labels, 1)]
    return Reply("\n".join(lines), buttons)


def _shown(label: str) -> str:
    """A choice as a line of text: a Hebrew name stays right to left, its email ("דנה לוי
    (teacher1@demo.school)") or a Latin class name is isolated on its own."""
    name, paren, email = label.partition(" (")
    return f"{isolate(name)} ({isolate(email[:-1])})" if paren else isolate(label)


def picked(ctx: Context, parsed: Parsed) -> Parsed | Reply:
    """The command of the choice `parsed` picks (a button, or a name as shown), run as typed
    with its slash; a button of choices no longer offered is said to be gone; else `parsed`."""
    commands: list[str] = ctx.data.pop(CHOICES, [])
    labels: list[str] = ctx.data.pop(LABELS, [])
    if parsed.verb == PICK:
        n = parsed.argument
        if not (n.isdecimal() and 1 <= int(n) <= len(commands)):
            return Reply(ctx.say("no_button", n=n))
        chosen = parse(commands[int(n) - 1])
        return Parsed(chosen.verb, chosen.argument, True)
    if commands and parsed.verb is None:
        by_name = picked_by_name(parsed.argument, labels)
        if by_name is not None:
            chosen = parse(commands[by_name])
            return Parsed(chosen.verb, chosen.argument, True)
    return parsed
