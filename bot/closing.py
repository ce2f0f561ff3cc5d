"""How an analysis ends in the chat without being saved: cancelled by its teacher (a draft in
review only once "Discard this draft?" is answered yes), or expired after waiting too long."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Reply
from bot.flows import load, offer, student_name, unfinished
from bot.meant import SHOWN, yes_or_no
from bot.render import DISCARD_ASKED, discard_question, review_menu
from bot.states import CHOOSING, IDLE, REVIEWING
from core.errors import AccessDenied
from core.services import analyses

if TYPE_CHECKING:
    from bot.context import Context

Replies = list[Reply]


async def expire(deps: Deps, ctx: Context, said: str) -> Replies:
    """An interview idle past the timeout: FAILED (expired), and the late message not kept;
    the reply says so and offers to go on where it stopped (resume reopens it) or drop it."""
    assert ctx.analysis_id is not None
    snapshot = await load(deps, ctx, ctx.analysis_id)
    async with deps.uow() as uow:
        await analyses.mark_failed(
            uow=uow, actor=ctx.user.actor, analysis_id=ctx.analysis_id, reason="expired"
        )
    ctx.go(IDLE)
    hours = deps.settings.idle_timeout.total_seconds() / 3600
    text = ctx.tn("expired", round(hours), name=student_name(snapshot), hours=f"{hours:g}")
    if said:
        text += " " + ctx.say("expired_not_kept", text=said[:SHOWN])
    return [Reply(text, offer(ctx, snapshot).buttons)]


async def on_cancel(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """Any state: drop the current analysis for good (FAILED, reason `cancelled`).

    While a review waits for an edit or a note, only that pending text is dropped; a draft in
    review is dropped once "Discard this draft?" is answered yes (or `cancel` is said again);
    in IDLE the analysis the bot offers to resume or retry is the one cancelled.
    """
    if ctx.state == REVIEWING:
        awaiting = ctx.data.pop("awaiting", None)
        if awaiting is None:  # the draft, edits and all: asked first (see discard_answer)
            ctx.data["awaiting"] = DISCARD_ASKED
            return [discard_question(ctx.language)]
        if awaiting != DISCARD_ASKED:
            return [review_menu(ctx.language, ctx.say("cancelled_pending"))]
    if ctx.state == CHOOSING:
        ctx.go(IDLE)
        return [Reply(ctx.say("choice_cancelled"))]
    analysis_id = ctx.analysis_id
    if analysis_id is None and ctx.state == IDLE:
        offered = await unfinished(deps, ctx)
        analysis_id = offered.analysis_id if offered else None
    if analysis_id is None:
        ctx.go(IDLE)
        return [Reply(ctx.say("nothing_to_cancel"))]
    try:
        async with deps.uow() as uow:
            await analyses.mark_failed(
                uow=uow, actor=ctx.user.actor, analysis_id=analysis_id, reason="cancelled"
            )
    except AccessDenied:
        if ctx.state != IDLE:
            raise
        # An unfinished analysis this user's role may no longer change: not theirs to cancel.
        return [Reply(ctx.say("nothing_to_cancel"))]
    ctx.go(IDLE)
    return [Reply(ctx.say("cancelled"))]


def discard_answer(parsed: Parsed) -> bool | None:
    """The answer to "Discard this draft?": yes or its button's number (1) is True, no or 2 is
    False, anything else None (the question is dropped and the message read as usual)."""
    said = parsed.argument.strip().lstrip("#") if parsed.verb is None else ""
    if said in ("1", "2"):  # the question's buttons, not the review menu's of those numbers
        return said == "1"
    return yes_or_no(said) if said else None
