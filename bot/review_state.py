"""The review state: a draft is saved, edited a section at a time, flagged, given a private note
or discarded; every reply shows what the review can do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import closing, flows, opened
from bot.asides import aside
from bot.commands import Parsed, word
from bot.control_words import CONTROL
from bot.deps import Deps
from bot.events import Reply
from bot.meant import (
    SHOWN,
    did_you_mean,
    near_miss,
    offer_command,
    settle,
    take_pending,
    typo_in_text,
)
from bot.reading import approving, intent
from bot.render import DISCARD_ASKED, menu_choice, review_menu, review_prompt, section_buttons
from bot.review_answers import answered_nothing, thanks_in_review
from bot.screen import unseen_press
from bot.section_words import section_and_text
from bot.states import IDLE
from core.services import review

if TYPE_CHECKING:
    from bot.context import Context


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
    if ctx.data.get("awaiting") is None and (unseen := unseen_press(ctx, parsed)):
        return [unseen, flows.review(ctx, await flows.load(deps, ctx, analysis_id))]  # the menu
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
    if parsed.verb in CONTROL:  # a misspelt control word, yes
        return await CONTROL[parsed.verb](deps, ctx, parsed)
    if parsed.verb is None and (text := parsed.argument) and pending is None:
        if awaiting and intent(text) == "cancel":  # "oops, cancel", "never mind": as `cancel`
            return await CONTROL["cancel"](deps, ctx, parsed)  # drops the note or text due
        # A yes or a no to no question (`nope` is no `note`); `svae` in review, or `cancle` where
        # a note is due: the command, not text lost or kept.
        asked = (
            answered_nothing(ctx, text)
            or thanks_in_review(ctx, text)
            or (typo_in_text(ctx, text) if awaiting else near_miss(ctx, text))
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
