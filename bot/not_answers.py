"""What a teacher types mid-interview that is not an answer to the question, though it is text.

A command asked in everyday words ("stop", "זהו") or misspelt (`cancle`) is asked about
(`bot.meant`). A greeting is greeted back with the question again; a goodbye leaves the
interview open. A "1" or "yes" before any answer confirms the student: an analysis starts at
once when the name is exact, and after "Reply 1 or yes to start" otherwise, so a teacher who
expects that question (or sends twice) confirms in the interview. "Wait" or "רגע" is told to
take their time, and a "thanks" is welcomed. A "#2" is a press of a button no reply shows now
(the terminal's way to press one), said so. Stored, any of these would be
an answer the analysis is written from; the confirmation is asked about instead, and the same
message sent again is the answer (a question may be answered "1").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import flows
from bot.deps import Deps
from bot.events import Reply
from bot.meant import button_number, command_in_answer, yes_or_no
from bot.reading import farewell, greeting, holding, thanked
from core.models import ConversationRole

if TYPE_CHECKING:
    from bot.context import Context

CONFIRMING = frozenset({"1", "#1", "1."})
# In the state: the "1" was asked about once; sent again, it is the answer.
ASKED = "confirm_asked"


async def confirming(deps: Deps, ctx: Context, text: str) -> list[Reply] | None:
    """The analysis has started (and the question again) for a confirming "1" or "yes" before
    any answer; None for anything else, or for one already asked about."""
    said = text.strip()
    confirms = said in CONFIRMING or yes_or_no(said) is True
    if not confirms or ctx.data.pop(ASKED, False) or ctx.analysis_id is None:
        return None
    snapshot = await flows.load(deps, ctx, ctx.analysis_id)
    if any(turn.role is ConversationRole.USER for turn in snapshot.turns):
        return None
    ctx.data[ASKED] = True
    name = flows.student_name(snapshot)
    return [
        Reply(ctx.say("already_started", name=name, text=said)),
        *await flows.ask_again(deps, ctx),
    ]


async def _greeted(deps: Deps, ctx: Context, said: str) -> list[Reply] | None:
    """A greeting greeted back with the question again; a goodbye, and that the interview waits."""
    kind = greeting(said)
    if kind is None or ctx.analysis_id is None:
        return None
    if not farewell(said):
        return [Reply(ctx.say(f"greet_{kind}")), *await flows.ask_again(deps, ctx)]
    name = flows.student_name(await flows.load(deps, ctx, ctx.analysis_id))
    return [Reply(ctx.say(f"greet_{kind}")), Reply(ctx.say("bye_interview", name=name))]


async def _thanked(deps: Deps, ctx: Context, said: str) -> list[Reply] | None:
    """A "thanks" alone: kept as an answer, it became a strength ("• thanks!")."""
    if not thanked(said):
        return None
    return [Reply(ctx.say("welcome_interview")), *await flows.ask_again(deps, ctx)]


def _holding(ctx: Context, said: str) -> list[Reply] | None:
    """A "wait" or "רגע": the teacher is thinking; nothing stored, the question still waits."""
    return [Reply(ctx.say("hold_on"))] if holding(said) else None


async def _small_talk(deps: Deps, ctx: Context, text: str) -> list[Reply] | None:
    """The reply to a greeting, thanks, goodbye or "wait" mid-interview; None for other text."""
    return (
        await _greeted(deps, ctx, text) or await _thanked(deps, ctx, text) or _holding(ctx, text)
    )


async def _no_button(deps: Deps, ctx: Context, said: str) -> list[Reply] | None:
    """A "#2" when no button 2 is shown: not the answer; the question again. A number alone may
    be an answer ("3 out of 5"), so only the terminal's way of pressing one is read so."""
    number = button_number(said, alone=False)
    if number is None:
        return None
    return [Reply(ctx.say("no_button_interview", n=number)), *await flows.ask_again(deps, ctx)]


async def not_an_answer(deps: Deps, ctx: Context, text: str) -> list[Reply] | None:
    """The reply to `text` typed mid-interview when it is no answer; None to store it."""
    return (
        command_in_answer(ctx, text)
        or await confirming(deps, ctx, text)
        or await _small_talk(deps, ctx, text)
        or await _no_button(deps, ctx, text)
    )
