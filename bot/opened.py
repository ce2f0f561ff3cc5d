"""A past analysis opened from `history`: as it reads now; its author also sees their own
private notes and whether it is flagged, with a button to flag it for the principal or take
the flag back (what a teacher remembers to do after saving)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Button, Reply
from bot.flows import load, student_name
from bot.i18n import isolate
from bot.lookups import note_on
from bot.meant import offer_buttons
from bot.reading import flag_purpose
from bot.render import render_analysis
from bot.states import LAST_READ
from core.analysis_records import InterviewSnapshot
from core.models import AnalysisStatus
from core.services import review

if TYPE_CHECKING:
    from bot.context import Context

Replies = list[Reply]
# In the state: the teacher's own saved analysis just opened, which `flag` and `note` act on.
OPENED = "opened"
# The analysis just saved: a "flag" said next is about it (a note still asks which: it is text).
SAVED = "saved"


def _analysis_id(parsed: Parsed) -> uuid.UUID | None:
    try:
        return uuid.UUID(parsed.argument)
    except ValueError:
        return None


async def on_open(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """A history button: the analysis as it reads now (no review actions)."""
    analysis_id = _analysis_id(parsed)
    if analysis_id is None:
        return [Reply(ctx.say("not_found"))]
    return [opened(ctx, await load(deps, ctx, analysis_id))]


def opened(ctx: Context, snapshot: InterviewSnapshot) -> Reply:
    """The analysis as text; for its author, their notes, its flag and the flag button."""
    name = student_name(snapshot)
    ctx.data[LAST_READ] = str(snapshot.analysis_id)
    if snapshot.results is None:
        status = ctx.say("status_" + str(snapshot.status).lower())
        return Reply(ctx.say("opened_unfinished", name=name, status=status))
    # The teacher who reviewed it, not the reader (a principal opening it from `flagged`).
    teacher = isolate(snapshot.teacher_name) if snapshot.teacher_name else ctx.user.display_name
    # A draft never saved (still in review, or cancelled) was reviewed by nobody: say so.
    saved = snapshot.status is AnalysisStatus.COMPLETED
    unsaved = None if saved else ctx.say("status_" + str(snapshot.status).lower())
    text = render_analysis(
        ctx.language, name, teacher, snapshot.results, snapshot.teacher_edits, unsaved=unsaved
    )
    if snapshot.teacher_id != ctx.user.actor.user_id or not saved:
        return Reply(text)
    lines = [text]
    if snapshot.private_notes:
        lines += ["", ctx.say("own_notes"), snapshot.private_notes]
    if snapshot.flagged_for_review:
        lines += ["", ctx.say("opened_flagged")]
        button = Button(ctx.say("unflag"), f"unflagon:{snapshot.analysis_id}")
    else:
        button = Button(ctx.say("flag"), f"flagon:{snapshot.analysis_id}")
    offer_buttons(ctx, (button,))
    ctx.data[OPENED] = str(snapshot.analysis_id)
    return Reply("\n".join(lines), (button,))


async def on_opened_word(deps: Deps, ctx: Context, parsed: Parsed) -> Replies | None:
    """`flag` or `note TEXT` typed right after opening one's own analysis, or `flag` right after
    saving one: on that analysis (not "no review is open", nor a note on whichever is newest);
    None for anything else."""
    saved_id = ctx.data.pop(SAVED, None)
    opened_id = ctx.data.pop(OPENED, None) or saved_id
    if opened_id is None:
        return None
    if parsed.verb == "flag" and flag_purpose(parsed.argument):
        return await on_flag_on(deps, ctx, Parsed("flagon", opened_id, True))
    if parsed.verb == "note" and parsed.argument and saved_id is None:
        return await note_on(deps, ctx, uuid.UUID(opened_id), parsed.argument)
    return None


async def on_flag_on(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """The flag (or unflag) button of an opened analysis of one's own."""
    analysis_id = _analysis_id(parsed)
    if analysis_id is None:
        return [Reply(ctx.say("not_found"))]
    flagged = parsed.verb == "flagon"
    async with deps.uow() as uow:
        await review.flag_for_review(
            uow=uow, actor=ctx.user.actor, analysis_id=analysis_id, flagged=flagged
        )
    snapshot = await load(deps, ctx, analysis_id)
    said = ctx.say("flagged" if flagged else "unflagged", name=student_name(snapshot))
    return [Reply(said)]
