"""An interview that waits where the teacher no longer sees it: said before their text is kept.

A new terminal chat (`growth-engine chat` again, `new_screen`) shows nothing of the question it
left open, so the first text typed there is no answer to it: the reply names the student and
the question that waits, and offers to go on or cancel. Slack and Telegram keep the question in
view, but after a long pause (`DialogueSettings.remind_after`, hours: the next school day) a
teacher writes about something else as often as they answer, so the same is asked there. The
text is held: "Continue" (or yes, or 1) keeps it as the answer; any other message goes on as
usual, and the held text is dropped, as the reminder said.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot import flows
from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Button, Reply
from bot.meant import SHOWN, button_number, yes_or_no
from bot.reading import greeting, holding, intent, thanked
from core.models import ConversationRole

if TYPE_CHECKING:
    from bot.context import Context

# In the state: the text the reminder did not keep ("" when it was no answer, e.g. a greeting);
# set, the next message answers the reminder.
HELD = "held_answer"
KEEP = "keep"  # the Continue button's action


def due(deps: Deps, ctx: Context) -> bool:
    """True when the teacher may not see the waiting question: a new terminal screen, or a
    pause longer than `remind_after` since the conversation last moved."""
    if ctx.event.new_screen:
        return True
    moved = ctx.updated_at
    return moved is not None and datetime.now(UTC) - moved > deps.settings.remind_after


def _answer_like(text: str) -> bool:
    """False for text that is plainly no answer (a greeting, thanks, "wait", "stop", a yes, a
    button's number): that is not offered to be kept."""
    return not (
        greeting(text)
        or thanked(text)
        or holding(text)
        or intent(text)
        or yes_or_no(text) is not None
        or button_number(text)
    )


async def remind(deps: Deps, ctx: Context, text: str) -> list[Reply]:
    """The open analysis (student, answers so far) and its waiting question; `text` not kept,
    but held for "Continue" when it may be the answer."""
    assert ctx.analysis_id is not None
    snapshot = await flows.load(deps, ctx, ctx.analysis_id)
    answers = sum(turn.role is ConversationRole.USER for turn in snapshot.turns)
    held = text if _answer_like(text) else ""
    ctx.data[HELD] = held  # stored even when "": the reminder is answered, and said once
    kind = greeting(text)
    lead = [Reply(ctx.say(f"greet_{kind}"))] if kind else []
    name = flows.student_name(snapshot)
    said = (
        ctx.tn("interview_open", answers, name=name)
        if answers
        else ctx.say("interview_open_new", name=name)
    )
    asked = await flows.ask_again(deps, ctx)
    question = asked[-1].text if asked else ""
    if held:
        shown = held if len(held) <= SHOWN else held[: SHOWN - 1] + "…"
        choice = ctx.say("interview_open_held", text=shown)
    else:
        choice = ctx.say("interview_open_go_on")
    buttons = (
        Button(ctx.say("continue_button"), KEEP if held else "resume"),
        Button(ctx.say("cancel_analysis_button"), "cancel"),
    )
    return [*lead, Reply(said), Reply(f"{question}\n\n{choice}", buttons)]


def kept(parsed: Parsed, held: str | None) -> str | None:
    """The held text when the message answers the reminder with Continue (its button, "1",
    yes, or `resume`); None for anything else."""
    if not held:
        return None
    if parsed.verb in (KEEP, "resume") and not parsed.argument:
        return held
    said = parsed.argument.strip().lstrip("#") if parsed.verb is None else ""
    return held if said == "1" or yes_or_no(said) is True else None


def declined(parsed: Parsed, held: str | None) -> bool:
    """True when a held text is refused ("no"): it stays unkept, and the question waits."""
    return bool(held) and parsed.verb is None and yes_or_no(parsed.argument) is False
