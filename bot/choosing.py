"""While a student is being chosen ("Is this the student you meant? Reply 1", or several names
to pick by number), what the teacher's message means.

A number, the name shown or a yes picks; a no, a "done" or "never mind" ends the question with
a short sentence; a command runs. Anything else (an observation typed as if the interview had
started, another name) is told once that nothing started or was kept and what the question
waits for; a second one in a row sets the question aside, rather than the same reply again,
and offers the analysis as a command to run.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot import closing, flows, lookups
from bot.asides import IDLE_COMMANDS
from bot.commands import Parsed, word
from bot.deps import Deps
from bot.events import Button, Reply
from bot.help import ask_to_choose
from bot.i18n import isolate
from bot.meant import SHOWN, near_miss, offer_command, yes_or_no
from bot.names_typed import picked_by_name
from bot.nearest_command import nearest
from bot.reading import greeting, intent, thanked
from bot.screen import choice_again, unseen_press
from bot.states import IDLE

if TYPE_CHECKING:
    from bot.context import Context

Replies = list[Reply]
# In the state: the message before was not understood (the next one sets the question aside).
MISREAD = "choice_misread"


async def choosing(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """A number (typed or a button), the name or a yes picks the student; a no or "done" ends
    the question; a command runs; else what is awaited, once."""
    misread = bool(ctx.data.pop(MISREAD, False))
    if (unseen := unseen_press(ctx, parsed)) is not None:  # the list is not on this screen
        return [unseen, choice_again(ctx)]
    choices: list[str] = ctx.data.get("choices", [])
    said = parsed.argument.strip() if parsed.verb in (None, "choose") else ""
    pick = said.lstrip("#")
    if pick.isdecimal() and 1 <= int(pick) <= len(choices):  # isdigit() lets "²" crash int()
        return await flows.start(deps, ctx, uuid.UUID(choices[int(pick) - 1]))
    answer = yes_or_no(said) if parsed.verb is None else None
    # "no" is an answer, not the start of a name ("Noah"): a no never picks by name.
    named = picked_by_name(pick, ctx.data.get("names", [])) if parsed.verb is None else None
    if named is not None and answer is None:  # the name shown ("Olivia") rather than its number
        return await flows.start(deps, ctx, uuid.UUID(choices[named]))
    if answer is True and len(choices) == 1:  # "Is this who you meant?" answered as people do
        return await flows.start(deps, ctx, uuid.UUID(choices[0]))
    if answer is False or (parsed.verb is None and intent(said) is not None):
        return await closing.on_cancel(deps, ctx, parsed)  # no, "done", "never mind": nobody
    if parsed.verb == "students":  # a look at the list to decide: the choice still waits
        return [*await lookups.on_students(deps, ctx, parsed), ask_to_choose(ctx)]
    if parsed.verb in IDLE_COMMANDS:
        ctx.go(IDLE)
        return await IDLE_COMMANDS[parsed.verb](deps, ctx, parsed)
    if answer is not None or parsed.verb == "choose" or not any(c.isalpha() for c in said):
        return [ask_to_choose(ctx)]  # a yes to several names, or a number of none of them
    if parsed.verb is None and nearest(said, ctx.user.actor.role) is not None:
        # "היסטורה נח": a misspelt command asked about, as anywhere else; the question is set
        # aside first, so a yes or a number answers the offer, not the names.
        ctx.go(IDLE)
        return near_miss(ctx, said) or []
    if thanked(said) or greeting(said):  # polite words: answered, then the question
        kind = greeting(said)
        return [Reply(ctx.say(f"greet_{kind}" if kind else "you_are_welcome")), ask_to_choose(ctx)]
    return _set_aside(ctx, said) if misread else _not_started(ctx, said)


def _shown(said: str) -> str:
    return said if len(said) <= SHOWN else said[: SHOWN - 1] + "…"


def _not_started(ctx: Context, said: str) -> Replies:
    """The first message the question does not read: nothing started or kept; what it awaits
    and how to leave it, with the names' buttons (not the whole help)."""
    ctx.data[MISREAD] = True
    names: list[str] = ctx.data.get("names", [])
    if len(names) == 1:
        text = ctx.say("choose_not_started_one", text=_shown(said), name=isolate(names[0]))
    else:
        text = ctx.say("choose_not_started", text=_shown(said), count=len(names))
    buttons = tuple(Button(f"{i}. {name}", f"choose:{i}") for i, name in enumerate(names, 1))
    return [Reply(text, buttons)]


def _set_aside(ctx: Context, said: str) -> Replies:
    """A second message in a row the question does not read: the question is set aside (it
    was said once what it waits for); the analysis is offered as a command to run."""
    names: list[str] = ctx.data.get("names", [])
    ctx.go(IDLE)
    if len(names) != 1:
        return [Reply(ctx.say("choice_set_aside", text=_shown(said)))]
    command = f"{word(ctx.language, 'analyze')} {names[0]}"
    text = ctx.say("choice_set_aside_one", text=_shown(said), command=command)
    return [offer_command(ctx, command, text)]
