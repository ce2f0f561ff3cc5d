"""The transition table: for each state, what each kind of input does.

How a message becomes a verb (or free text) is `bot.reading.read`; the words are the
vocabulary's. Control words (help, cancel, finish, lang) work in every state (`ANYWHERE`,
all but finish in `bot.control_words`); the review is `bot.review_state`; the commands that
run the same in any state, and aside, are `bot.asides`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import closing, flows, lookups, opened, reminder
from bot.asides import IDLE_COMMANDS, REVIEW_ACTIONS, TEACHERS_OWN, Handler, aside
from bot.choosing import choosing
from bot.commands import BY_VERB, Parsed
from bot.control_words import CONTROL
from bot.deps import Deps
from bot.events import Reply
from bot.help import count_message, role_help
from bot.how_is_named import how_is_named
from bot.interview import estimate_tokens
from bot.meant import (
    SHOWN,
    did_you_mean,
    name_alone,
    named_after_asking,
    near_miss,
    offer_export,
    pressed,
    settle,
    take_pending,
    yes_or_no,
)
from bot.not_answers import not_an_answer
from bot.reading import farewell, greeting, intent, thanked
from bot.render import review_prompt
from bot.review_state import reviewing
from bot.scope_choice import picked
from bot.states import CHOOSING, GENERATING, IDLE, INTERVIEWING, REVIEWING
from bot.unclear import unclear
from core.models import ConversationRole
from core.services import turns

if TYPE_CHECKING:
    from bot.context import Context


async def idle(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Commands run; a student's name alone or a near miss of a command is offered; a greeting
    is greeted back; anything else offers the unfinished analysis, or the person's help."""
    count_message(ctx)
    # A did-you-mean button answers the message before it only: an older one runs nothing.
    pending = take_pending(ctx)
    parsed = named_after_asking(ctx, settle(pressed(ctx, parsed), pending))
    chosen = picked(ctx, parsed)  # one of several classes a summary named
    if isinstance(chosen, Reply):
        return [chosen]
    parsed = chosen
    if (refused := lookups.note_refused(ctx, parsed)) is not None:
        return refused  # "no" to the analysis a note was offered for
    if (on_opened := await opened.on_opened_word(deps, ctx, parsed)) is not None:
        return on_opened  # "flag" right after opening an analysis: that one
    if parsed.verb in ANYWHERE:  # the button ran `help` or `lang en`, say
        return await ANYWHERE[parsed.verb](deps, ctx, parsed)
    if parsed.verb in TEACHERS_OWN and ctx.user.actor.role not in BY_VERB[parsed.verb].roles:
        return [Reply(ctx.say("role_refused"))]  # not "nothing to resume" to a principal
    if parsed.verb in IDLE_COMMANDS:
        return await IDLE_COMMANDS[parsed.verb](deps, ctx, parsed)
    if parsed.verb in REVIEW_ACTIONS:  # "flag" after saving: say where it is done instead
        return [Reply(ctx.say("no_review_open"))]
    if parsed.verb == "how_many":  # a teacher's "how many analyses did I do?"
        return offer_export(ctx, parsed.argument)
    said = " ".join(parsed.argument.split()) if parsed.verb is None else ""
    if thanked(said):
        return [Reply(ctx.say("you_are_welcome"))]  # not an offer of unfinished work, either
    greeted = greeting(said)
    lead = [Reply(ctx.say(f"greet_{greeted}"))] if greeted else []
    offered = await flows.unfinished(deps, ctx)
    if offered is not None:  # "good morning" first, then what waits for the teacher
        return [*lead, flows.offer(ctx, offered)]
    if lead:  # a goodbye is not told where help is
        return lead if farewell(said) else [Reply(f"{lead[0].text} {ctx.say('greet_help')}")]
    if not said:
        return [role_help(ctx)]
    if (verb := intent(said)) is not None:  # "done", "never mind": nothing is open (no offer)
        return [Reply(ctx.say(f"nothing_to_{verb}"))]
    if yes_or_no(said) is not None:  # "yes" after the question it answered was settled
        return [Reply(ctx.say("nothing_to_answer"))]
    # A name, or a word the person meant as a command (the nearest command, if one is near);
    # else say it was not understood (or that no such button is offered now, or that the
    # analysis a name was offered for has not started).
    if (asked := await how_is_named(deps, ctx, said)) is not None:  # "איך ליאם?"
        return await IDLE_COMMANDS[asked.verb or "summary"](deps, ctx, asked)
    meant = await name_alone(deps, ctx, said) or near_miss(ctx, said)
    return meant or [unclear(ctx, said, pending)]


async def interviewing(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """An answer is stored, then the next question; `finish` generates the analysis."""
    assert ctx.analysis_id is not None
    pending = take_pending(ctx)
    held = ctx.data.pop(reminder.HELD, None)  # the text a reminder did not keep
    if deps.settings.expired(ctx.updated_at):
        return await closing.expire(deps, ctx, parsed.argument if parsed.verb is None else "")
    if (answer := reminder.kept(parsed, held)) is not None:  # Continue: it was the answer
        return await _answered(deps, ctx, answer)
    if reminder.declined(parsed, held):
        return [Reply(ctx.say("held_not_kept")), *await flows.ask_again(deps, ctx)]
    if parsed.verb == "resume":  # written alone, or the button: the stored question again
        return await flows.ask_again(deps, ctx)
    if parsed.verb == "finish":
        snapshot = await flows.load(deps, ctx, ctx.analysis_id)
        if not any(turn.role is ConversationRole.USER for turn in snapshot.turns):
            # They did write finish: "answer, or write finish" read as if they had not.
            return [Reply(ctx.say("finish_before_answers")), *await flows.ask_again(deps, ctx)]
        return await flows.generate(deps, ctx, snapshot)
    if parsed.verb == "ask":  # a bare command word: which did the teacher mean?
        return did_you_mean(ctx, parsed.argument)
    if parsed.verb == "unknown":  # `/sumary`: the nearest command, else the question again
        offered = near_miss(ctx, parsed.argument)
        said = [Reply(ctx.say("not_a_command", text=parsed.argument[:SHOWN]))]
        return offered or [*said, *await flows.ask_again(deps, ctx)]
    parsed = settle(parsed, pending)
    if parsed.verb in ("run", "answer", reminder.KEEP):  # a button of an earlier question
        return await flows.ask_again(deps, ctx)
    if parsed.verb in ANYWHERE:  # `cancle`, then yes: the control word it was read as
        return await ANYWHERE[parsed.verb](deps, ctx, parsed)
    if parsed.verb is not None:
        return await aside(deps, ctx, parsed)
    text = parsed.argument
    if not text:
        return [Reply(ctx.say("in_interview")), *await flows.ask_again(deps, ctx)]
    if held is None and reminder.due(deps, ctx):  # a new screen, or hours later: say first
        return await reminder.remind(deps, ctx, text)
    # A did-you-mean question answered by a new message instead: its message is neither run nor
    # stored, and the teacher is told so rather than left to think it was.
    dropped = pending.text if pending is not None and text != pending.text else None
    # `cancle`, "good morning" or a confirming "1" is no answer, after a did-you-mean question
    # too ("cancle" there was stored, and the draft written from it)
    if (pending is None or dropped) and (asked := await not_an_answer(deps, ctx, text)):
        lead = [Reply(ctx.say("pending_dropped_only", text=dropped[:SHOWN]))] if dropped else []
        return [*lead, *asked]
    lead = [Reply(ctx.say("pending_dropped", text=dropped[:SHOWN]))] if dropped else []
    return await _answered(deps, ctx, text, lead)


async def _answered(
    deps: Deps, ctx: Context, text: str, lead: list[Reply] | None = None
) -> list[Reply]:
    """`text` stored as the answer, then the next question (after `lead`)."""
    assert ctx.analysis_id is not None
    async with deps.uow() as uow:
        snapshot = await turns.append_turn(
            uow=uow,
            actor=ctx.user.actor,
            analysis_id=ctx.analysis_id,
            role=ConversationRole.USER,
            content=text,
            tokens=estimate_tokens(text),
            event_key=ctx.event.event_key,
        )
    return await flows.advance(deps, ctx, snapshot, final=True, lead=lead or [])


async def generating(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Only reached after a crash mid-generation: generate again from the stored turns."""
    assert ctx.analysis_id is not None
    snapshot = await flows.load(deps, ctx, ctx.analysis_id)
    if snapshot.results is not None:
        ctx.go(REVIEWING, snapshot.analysis_id)
        return await reviewing(deps, ctx, parsed)
    return await flows.generate(deps, ctx, snapshot)


async def finish_elsewhere(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """`finish` outside an interview: in the review, save?; elsewhere, what there is."""
    if ctx.state == INTERVIEWING:
        return await interviewing(deps, ctx, parsed)
    if ctx.state == GENERATING:
        return await generating(deps, ctx, parsed)
    if ctx.state == CHOOSING:  # "done" before a student was picked: nobody, said in a line
        return await closing.on_cancel(deps, ctx, parsed)
    if ctx.state == REVIEWING and not ctx.data.get("awaiting"):  # done: save it?
        return await reviewing(deps, ctx, parsed)
    if ctx.state == REVIEWING:  # a question or a text is due: that again
        return review_prompt(ctx.language, ctx.data.get("awaiting"))
    return [Reply(ctx.say("nothing_to_finish")), role_help(ctx)]


ANYWHERE: dict[str, Handler] = {**CONTROL, "finish": finish_elsewhere}
BY_STATE: dict[str, Handler] = {
    IDLE: idle,
    CHOOSING: choosing,
    INTERVIEWING: interviewing,
    GENERATING: generating,
    REVIEWING: reviewing,
}
