"""The control words that work in every state but `finish` (cancel, lang, help): what each does.

`finish` is the state table's own (`bot.handlers.finish_elsewhere`), as it hands over to the
interview or the review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import closing, flows, lookups
from bot.asides import Handler
from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Reply
from bot.help import on_help
from bot.render import review_prompt
from bot.states import REVIEWING

if TYPE_CHECKING:
    from bot.context import Context


async def lang_then_back(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """`lang he|en` anywhere, then the question or the review menu again in the new language."""
    before = ctx.language
    replies = await lookups.on_lang(deps, ctx, parsed)
    if ctx.state == REVIEWING:
        return [*replies, *review_prompt(ctx.language, ctx.data.get("awaiting"))]
    return [*replies, *await flows.ask_again(deps, ctx, restate=ctx.language != before)]


CONTROL: dict[str, Handler] = {
    "cancel": closing.on_cancel,
    "lang": lang_then_back,
    "help": on_help,
}
