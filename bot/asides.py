"""Commands that run without moving the dialogue: the verbs that run the same wherever they
are typed, who may run them, and how one runs aside from an interview or a review (then the
question, or what the review waits for, comes back)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import flows, lookups, opened
from bot.asked_for import ADMIN_SAID, HOW_THEY_DO, READERS
from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Reply
from bot.help import on_help
from bot.render import review_prompt
from bot.states import INTERVIEWING, REVIEWING

if TYPE_CHECKING:
    from bot.context import Context

Handler = Callable[[Deps, "Context", Parsed], Awaitable[list[Reply]]]

IDLE_COMMANDS: dict[str, Handler] = {
    "analyze": flows.on_analyze,
    "students": lookups.on_students,
    HOW_THEY_DO: lookups.on_students,
    "resume": flows.on_resume,
    "history": lookups.on_history,
    "open": opened.on_open,
    "flagon": opened.on_flag_on,
    "unflagon": opened.on_flag_on,
    "retry": flows.on_retry,
    "note": lookups.on_note,
    "noteon": lookups.on_note_on,
    "start": on_help,
    "summary": lookups.on_role_command,
    "flagged": lookups.on_role_command,
    "admin": lookups.on_role_command,
    ADMIN_SAID: lookups.on_role_command,
    "reviewed": lookups.on_role_command,
    "export": lookups.on_role_command,
    READERS: lookups.on_readers,
}
# A teacher's own analyses: other roles hear the command is not theirs (the commands that reach
# core's authorize_command are refused, and audited, there).
TEACHERS_OWN = frozenset({"resume", "retry", "note"})
# The review menu's words, which act on the analysis in review only.
REVIEW_ACTIONS = frozenset({"save", "edit", "flag", "discard"})
# Commands that leave an interview or a review where it is; anything else must wait.
ASIDE = frozenset({"students", HOW_THEY_DO, "history", "open", "note", "noteon", "summary",
                   "flagged", "admin", ADMIN_SAID, "reviewed", "export", "flagon",
                   "unflagon", READERS})  # fmt: skip


async def aside(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """A command run without leaving the interview or review, then where the teacher was."""
    if parsed.verb not in ASIDE:
        busy = "busy_interview" if ctx.state == INTERVIEWING else "busy_review"
        replies = [Reply(ctx.say(busy))]
    else:
        replies = await IDLE_COMMANDS[parsed.verb](deps, ctx, parsed)
    if ctx.state == REVIEWING:
        return [*replies, *review_prompt(ctx.language, ctx.data.get("awaiting"))]
    return [*replies, *await flows.ask_again(deps, ctx)]
