"""A "1" or "yes" typed once an interview has begun: confirming the student, not an answer.

An analysis starts at once when the name is exact, and after "Reply 1 or yes to start"
otherwise; a teacher who expects that question (or sends twice) confirms as the interview's
first message. Stored, it would be the first answer the analysis is written from; it is asked
about instead, and the same message sent again is the answer (a question may be answered "1").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import flows
from bot.deps import Deps
from bot.events import Reply
from bot.meant import yes_or_no
from core.models import ConversationRole

if TYPE_CHECKING:
    from bot.engine import Context

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
