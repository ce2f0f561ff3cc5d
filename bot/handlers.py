"""The transition table: for each state, what each kind of input does.

How a message becomes a verb (or free text) is `bot.reading.read`; the words are the
vocabulary's. Control words (help, cancel, finish, lang) work in every state (`ANYWHERE`);
the commands that run the same in any state, and aside, are `bot.asides`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot import closing, flows, lookups, opened
from bot.asides import IDLE_COMMANDS, REVIEW_ACTIONS, TEACHERS_OWN, Handler, aside
from bot.commands import BY_VERB, Parsed, word
from bot.deps import Deps
from bot.events import Reply
from bot.help import ask_to_choose, count_message, on_help, role_help
from bot.interview import estimate_tokens
from bot.meant import (
    SHOWN,
    did_you_mean,
    name_alone,
    named_after_asking,
    near_miss,
    offer_command,
    offer_export,
    pressed,
    settle,
    take_pending,
    typo_in_text,
    yes_or_no,
)
from bot.names_typed import picked_by_name
from bot.not_answers import not_an_answer
from bot.reading import approving, farewell, greeting, intent, thanked
from bot.render import DISCARD_ASKED, menu_choice, review_menu, review_prompt, section_buttons
from bot.review_answers import answered_nothing
from bot.section_words import section_and_text
from bot.states import CHOOSING, GENERATING, IDLE, INTERVIEWING, REVIEWING
from bot.unclear import unclear
from core.models import ConversationRole
from core.services import review, turns

if TYPE_CHECKING:
    from bot.context import Context


async def idle(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Commands run; a student's name alone or a near miss of a command is offered; a greeting
    is greeted back; anything else offers the unfinished analysis, or the person's help."""
    count_message(ctx)
    # A did-you-mean button answers the message before it only: an older one runs nothing.
    pending = take_pending(ctx)
    parsed = named_after_asking(ctx, settle(pressed(ctx, parsed), pending))
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
    meant = await name_alone(deps, ctx, said) or near_miss(ctx, said)
    return meant or [unclear(ctx, said, pending)]


async def choosing(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """A number (typed or a button) picks the student; a command runs; else ask again."""
    choices = ctx.data.get("choices", [])
    pick = parsed.argument.strip().lstrip("#") if parsed.verb in (None, "choose") else ""
    if pick.isdecimal() and 1 <= int(pick) <= len(choices):  # isdigit() lets "²" crash int()
        return await flows.start(deps, ctx, uuid.UUID(choices[int(pick) - 1]))
    # "no" is an answer, not the start of a name ("Noah"): a no never picks by name.
    by_name = parsed.verb is None and yes_or_no(pick) is None
    named = picked_by_name(pick, ctx.data.get("names", [])) if by_name else None
    if named is not None:  # the name shown ("Olivia") rather than its number
        return await flows.start(deps, ctx, uuid.UUID(choices[named]))
    if len(choices) == 1 and parsed.verb is None:
        # "Is this who you meant?" with one name is answered as people answer it: yes or no.
        answer = yes_or_no(parsed.argument)
        if answer is not None:
            return await (flows.start(deps, ctx, uuid.UUID(choices[0])) if answer
                          else closing.on_cancel(deps, ctx, parsed))  # fmt: skip
    if parsed.verb == "students":  # a look at the list to decide: the choice still waits
        return [*await lookups.on_students(deps, ctx, parsed), ask_to_choose(ctx)]
    if parsed.verb in IDLE_COMMANDS:
        ctx.go(IDLE)
        return await IDLE_COMMANDS[parsed.verb](deps, ctx, parsed)
    return [ask_to_choose(ctx)]


async def interviewing(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """An answer is stored, then the next question; `finish` generates the analysis."""
    assert ctx.analysis_id is not None
    pending = take_pending(ctx)
    if deps.settings.expired(ctx.updated_at):
        return await closing.expire(deps, ctx, parsed.argument if parsed.verb is None else "")
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
    if parsed.verb in ("run", "answer"):  # a did-you-mean button of an earlier question
        return await flows.ask_again(deps, ctx)
    if parsed.verb in ANYWHERE:  # `cancle`, then yes: the control word it was read as
        return await ANYWHERE[parsed.verb](deps, ctx, parsed)
    if parsed.verb is not None:
        return await aside(deps, ctx, parsed)
    text = parsed.argument
    if not text:
        return [Reply(ctx.say("in_interview")), *await flows.ask_again(deps, ctx)]
    # A did-you-mean question answered by a new message instead: its message is neither run nor
    # stored, and the teacher is told so rather than left to think it was.
    dropped = pending.text if pending is not None and text != pending.text else None
    # `cancle`, "good morning" or a confirming "1" is no answer, after a did-you-mean question
    # too ("cancle" there was stored, and the draft written from it)
    if (pending is None or dropped) and (asked := await not_an_answer(deps, ctx, text)):
        lead = [Reply(ctx.say("pending_dropped_only", text=dropped[:SHOWN]))] if dropped else []
        return [*lead, *asked]
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
    lead = [Reply(ctx.say("pending_dropped", text=dropped[:SHOWN]))] if dropped else []
    return await flows.advance(deps, ctx, snapshot, final=True, lead=lead)


async def generating(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Only reached after a crash mid-generation: generate again from the stored turns."""
    assert ctx.analysis_id is not None
    snapshot = await flows.load(deps, ctx, ctx.analysis_id)
    if snapshot.results is not None:
        ctx.go(REVIEWING, snapshot.analysis_id)
        return await reviewing(deps, ctx, parsed)
    return await flows.generate(deps, ctx, snapshot)


async def reviewing(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Save, edit a section, flag, add a private note or discard; every reply shows the menu."""
    assert ctx.analysis_id is not None
    actor, analysis_id = ctx.user.actor, ctx.analysis_id
    pending = take_pending(ctx)
    if ctx.data.get("awaiting") == DISCARD_ASKED:
        answer = closing.discard_answer(parsed)
        if answer:
            return await closing.on_cancel(deps, ctx, parsed)
        ctx.data.pop("awaiting")  # no, or another message: the draft stays as it was
        if answer is False:
            parsed = Parsed("resume", "", True)
    if parsed.verb == "ask":  # a bare command word while a note or a section's text is due
        return did_you_mean(ctx, parsed.argument)
    if parsed.verb == "unknown":  # `/sumary` there: the nearest command, else what is due
        said = ctx.say("not_a_command", text=parsed.argument[:SHOWN])
        awaiting = ctx.data.get("awaiting")
        return near_miss(ctx, parsed.argument) or review_prompt(ctx.language, awaiting, said)
    if parsed.verb == "run" and pending:  # the command instead of the text it interrupted
        ctx.data.pop("awaiting", None)
    parsed = settle(menu_choice(parsed, ctx.data.get("awaiting"), ctx.language), pending)
    awaiting = ctx.data.get("awaiting")
    if parsed.verb in ANYWHERE and parsed.verb != "finish":  # a misspelt control word, yes
        return await ANYWHERE[parsed.verb](deps, ctx, parsed)
    if parsed.verb is None and (text := parsed.argument) and pending is None:
        # A yes or a no to no question (`nope` is no `note`); `svae` in review, or `cancle` where
        # a note is due: the command, not text lost or kept.
        asked = answered_nothing(ctx, text) or (
            typo_in_text(ctx, text) if awaiting else near_miss(ctx, text)
        )
        if asked:
            return asked
    verb, argument = parsed.verb, parsed.argument
    if verb is None and awaiting == "section":
        verb, argument = "edit", argument
    async with deps.uow() as uow:
        if verb == "save":
            await review.save_analysis(uow=uow, actor=actor, analysis_id=analysis_id)
            snapshot = await flows.load(deps, ctx, analysis_id)
            # "flag it" said next is about this one, as right after opening it
            ctx.go(IDLE)
            ctx.data[opened.SAVED] = str(analysis_id)
            return [Reply(ctx.say("saved", name=flows.student_name(snapshot)))]
        if verb == "discard":
            await review.discard_analysis(uow=uow, actor=actor, analysis_id=analysis_id)
            ctx.go(IDLE)
            return [Reply(ctx.say("discarded"))]
        if verb == "resume":  # back to the review as it stands, dropping a pending edit/note
            ctx.data.pop("awaiting", None)
            return [flows.review(ctx, await flows.load(deps, ctx, analysis_id))]
        if verb == "flag":
            await review.flag_for_review(uow=uow, actor=actor, analysis_id=analysis_id)
            return [review_menu(ctx.language, ctx.say("flagged"))]
        if verb == "edit":
            section, text = section_and_text(argument)
            if section is None:
                ctx.data["awaiting"] = "section"
                return [section_buttons(ctx.language)]
            if not text:  # the section named (a button, a number): its text comes next
                ctx.data["awaiting"] = f"edit:{section}"
                return [Reply(ctx.say("edit_prompt", section=ctx.say(section)))]
            verb, argument, awaiting = None, text, f"edit:{section}"  # "edit strengths Reads well"
        if verb == "note" and not argument:
            ctx.data["awaiting"] = "note"
            return [Reply(ctx.say("note_prompt"))]
        if verb == "note" or (verb is None and awaiting == "note"):
            await review.add_private_note(
                uow=uow, actor=actor, analysis_id=analysis_id, text=argument
            )
            ctx.data.pop("awaiting", None)
            return [review_menu(ctx.language, ctx.say("noted"))]
        if verb is None and awaiting and awaiting.startswith("edit:"):
            section = awaiting.split(":", 1)[1]
            await review.edit_section(
                uow=uow, actor=actor, analysis_id=analysis_id, section=section, text=argument
            )
            ctx.data.pop("awaiting", None)
            snapshot = await flows.load(deps, ctx, analysis_id)
            return [Reply(ctx.say("edited", section=ctx.say(section))), flows.review(ctx, snapshot)]
    if verb is not None and verb not in ("finish", "choose", "run", "answer"):
        return await aside(deps, ctx, parsed)
    if not awaiting and (verb == "finish" or (verb is None and approving(argument))):
        # "done", "looks good", "זהו": asked whether to save, never saved on such words.
        return [offer_command(ctx, word(ctx.language, "save"), ctx.say("review_save_offer"))]
    if verb is None and argument:  # text with nothing waiting for it: say it was not kept
        return [review_menu(ctx.language, ctx.say("review_text_ignored"))]
    return review_prompt(ctx.language, ctx.data.get("awaiting"))


async def finish_elsewhere(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """`finish` outside an interview: in the review, save?; elsewhere, what there is."""
    if ctx.state == INTERVIEWING:
        return await interviewing(deps, ctx, parsed)
    if ctx.state == GENERATING:
        return await generating(deps, ctx, parsed)
    if ctx.state == REVIEWING and not ctx.data.get("awaiting"):  # done: save it?
        return await reviewing(deps, ctx, parsed)
    if ctx.state == REVIEWING:  # a question or a text is due: that again
        return review_prompt(ctx.language, ctx.data.get("awaiting"))
    return [Reply(ctx.say("nothing_to_finish")), role_help(ctx)]


async def lang_then_back(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """`lang he|en` anywhere, then the question or the review menu again in the new language."""
    before = ctx.language
    replies = await lookups.on_lang(deps, ctx, parsed)
    if ctx.state == REVIEWING:
        return [*replies, *review_prompt(ctx.language, ctx.data.get("awaiting"))]
    return [*replies, *await flows.ask_again(deps, ctx, restate=ctx.language != before)]


ANYWHERE: dict[str, Handler] = {
    "cancel": closing.on_cancel,
    "lang": lang_then_back,
    "help": on_help,
    "finish": finish_elsewhere,
}
BY_STATE: dict[str, Handler] = {
    IDLE: idle,
    CHOOSING: choosing,
    INTERVIEWING: interviewing,
    GENERATING: generating,
    REVIEWING: reviewing,
}
