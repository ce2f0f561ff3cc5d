"""A yes or a no typed in the review when no question waits for one ("Discard this draft?" and
the did-you-mean questions answer their own): never kept as a note or a section's new text,
and answered with what the review can do now, as a yes or a no to nothing is answered outside
it (`nothing_to_answer`). A thanks is welcomed, the review waiting as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import word
from bot.events import Reply
from bot.meant import SHOWN, offer_command, yes_or_no
from bot.reading import thanked
from bot.render import review_buttons, review_prompt

if TYPE_CHECKING:
    from bot.context import Context


def answered_nothing(ctx: Context, said: str) -> list[Reply] | None:
    """The reply to `said` when it is a bare yes or no in the review, else None.

    A no is "never mind": a note or a section's text that was due is dropped, nothing changes,
    and the review's actions are named. A yes where a text is due is not kept as it, and the
    text is asked for again; with nothing due, a yes is read as the draft looking right: asked
    whether to save it (a yes again saves), with the other actions named.
    """
    answer = yes_or_no(said)
    if answer is None:
        return None
    awaiting = ctx.data.get("awaiting")
    if answer is False:
        ctx.data.pop("awaiting", None)
        return [Reply(ctx.say("review_nothing_changed"), review_buttons(ctx.language))]
    if awaiting is not None:
        return review_prompt(ctx.language, awaiting, ctx.say("yes_not_kept", text=said[:SHOWN]))
    return [offer_command(ctx, word(ctx.language, "save"), ctx.say("review_answered_yes"))]


def thanks_in_review(ctx: Context, said: str) -> list[Reply] | None:
    """"Thanks" with nothing awaited: welcomed, and the review's actions named; it was "I did not
    keep that", as if a note had gone to the wrong place. None for anything else."""
    if ctx.data.get("awaiting") is not None or not thanked(said):
        return None
    return review_prompt(ctx.language, None, ctx.say("welcome_review"))
