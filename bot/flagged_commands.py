"""`flagged` and `reviewed` for principals and admins: the analyses teachers flagged, read by
number or button, and marked as dealt with. Core decides who sees which (and refuses others)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.commands import word
from bot.events import Button, Reply
from bot.i18n import isolate
from bot.meant import offer_numbers
from bot.states import LAST_READ
from core.periods import SCHOOL_TZ
from core.services import flagged

if TYPE_CHECKING:
    from bot.context import Context
    from bot.deps import Deps

FLAGGED_BUTTONS = 10  # the newest; a chat of more buttons than that is no longer read
# In the state: the references of the flagged list last shown, in its order ("reviewed 2").
FLAGGED_LISTED = "flagged_listed"
# A list number has a few digits; an analysis reference (8 hex digits) may be digits only.
LIST_NUMBER = 3


def _date(moment: datetime) -> str:
    return moment.astimezone(SCHOOL_TZ).date().isoformat()


async def flagged_list(engine: Deps, ctx: Context) -> list[Reply]:
    """The flagged analyses, newest first, each with a button to read it and one to mark it."""
    async with engine.read_uow() as uow:
        found = await flagged.list_flagged(uow=uow, actor=ctx.user.actor)
    if not found:
        ctx.data.pop(FLAGGED_LISTED, None)  # "reviewed 1" after this: of no list
        return [Reply(ctx.say("flagged_none"))]
    lines = [ctx.say("flagged_title")] + [
        ctx.say("flagged_line", n=n, id=f.reference, student=isolate(f.student_name),
                grade=f.grade_level, teacher=isolate(f.teacher_name), date=_date(f.flagged_at))
        for n, f in enumerate(found, 1)
    ]  # fmt: skip
    ctx.data[FLAGGED_LISTED] = [f.reference for f in found]  # "reviewed 2": the second
    # "2" reads the second: each item has two buttons, so a number is the list's, not a button's.
    offer_numbers(ctx, [f"open:{f.analysis_id}" for f in found])
    # Read each one, and mark it dealt with, by a button: the id need not be copied by hand.
    buttons = tuple(
        button
        for f in found[:FLAGGED_BUTTONS]
        for button in (
            Button(ctx.say("flagged_open", student=f.student_name), f"open:{f.analysis_id}"),
            Button(f"{word(ctx.language, 'reviewed')} {f.reference}", f"reviewed:{f.reference}"),
        )
    )
    return [Reply("\n".join([*lines, "", ctx.say("flagged_hint")]), buttons)]


async def reviewed(engine: Deps, ctx: Context, argument: str) -> list[Reply]:
    """`reviewed ID` (or its number in the flagged list); alone, the flagged analysis just
    read, or the only one listed."""
    listed = ctx.data.get(FLAGGED_LISTED, [])
    if not argument.strip():
        read = ctx.data.get(LAST_READ, "")
        meant = [r for r in listed if read.startswith(r)] or (listed if len(listed) == 1 else [])
        if not meant:
            return [Reply(ctx.say("reviewed_usage"))]
        argument = meant[0]
    reference = argument.strip().lstrip("#")
    numbered = len(reference) <= LIST_NUMBER and reference.isdecimal()
    if numbered and 0 < int(reference) <= len(listed):
        reference = listed[int(reference) - 1]  # its number in the flagged list last shown
    async with engine.uow() as uow:
        done = await flagged.mark_reviewed(uow=uow, actor=ctx.user.actor, reference=reference)
    return [Reply(ctx.say("reviewed_done", student=isolate(done.student_name), id=done.reference))]
