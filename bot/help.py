"""`help`: the commands of the person's role, what fits the state they are in, or one command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import BY_VERB, WORDS, Parsed, commands_for
from bot.deps import Deps
from bot.events import Reply
from bot.flows import ask_again, offer, unfinished
from bot.i18n import keys, t
from bot.meant import SHOWN
from bot.render import review_prompt
from bot.states import CHOOSING, INTERVIEWING, REVIEWING
from core.models import UserRole

if TYPE_CHECKING:
    from bot.context import Context

# The state notes how many messages ago the whole list was shown (in IDLE, where it is; moving
# to another state clears it). Within this many, a message not understood gets one line.
LISTED = "listed"
LISTED_LATELY = 5


def command_list(language: str, role: UserRole) -> str:
    """The header for `role` and one line per command it may use, from the vocabulary."""
    lines = [t(language, f"help_{role.value.lower()}")]
    lines += [
        t(
            language,
            "help_line",
            usage=t(language, f"usage_{c.verb}"),
            what=t(language, f"what_{c.verb}"),
            english=c.word("en"),
        )
        for c in commands_for(role)
    ]
    return "\n".join(lines)


def role_help(ctx: Context) -> Reply:
    """The person's own command list (noted in the state: this chat has it now)."""
    ctx.data[LISTED] = 0
    return Reply(command_list(ctx.language, ctx.user.actor.role))


def count_message(ctx: Context) -> None:
    """One more message since the list was shown; after a few, it is due again in full."""
    seen = ctx.data.get(LISTED)
    if seen is None:
        return
    if seen + 1 >= LISTED_LATELY:
        del ctx.data[LISTED]
    else:
        ctx.data[LISTED] = seen + 1


def not_understood(ctx: Context, said: str) -> Reply:
    """The message not understood, then the person's list; one line when the chat had the list
    lately (the same list after every misread message buries the conversation)."""
    shown = said if len(said) <= SHOWN else said[: SHOWN - 1] + "…"
    if LISTED in ctx.data:
        return Reply(ctx.say("not_understood_again", text=shown))
    return Reply(f"{ctx.say('not_understood', text=shown)}\n{role_help(ctx).text}")


def one_command(ctx: Context, word: str) -> Reply:
    """`help COMMAND`: its usage, what it does, and more when there is more to say."""
    verb = WORDS.get(word.lower().lstrip("/"))
    role = ctx.user.actor.role
    # Review actions are not in the list but the review menu offers them: they are explained.
    explained = verb is not None and f"usage_{verb}" in keys(ctx.language)
    if verb is None or not explained or role not in BY_VERB[verb].roles:
        return Reply(ctx.say("help_unknown", word=word))
    more_key = f"more_{verb}"
    more = ctx.say(more_key) if more_key in keys(ctx.language) else ""
    text = ctx.say(
        "help_command",
        usage=ctx.say(f"usage_{verb}"),
        what=ctx.say(f"what_{verb}"),
        more=more,
    )
    return Reply(text.rstrip())


def ask_to_choose(ctx: Context) -> Reply:
    """What the bot waits for while a student is being chosen: "1 or yes" for one name."""
    count = len(ctx.data.get("choices", []))
    if count == 1:
        return Reply(ctx.say("choose_again_one"))
    return Reply(ctx.say("choose_again", count=count))


async def on_help(deps: Deps, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Help that fits: one command, the interview, the review, the choice, or the role's list."""
    if parsed.argument and parsed.verb == "help":
        return [one_command(ctx, parsed.argument)]
    if ctx.state == INTERVIEWING:
        return [Reply(ctx.say("help_interview")), *await ask_again(deps, ctx)]
    if ctx.state == REVIEWING:  # then what the review waits for (a section's text, a note)
        return review_prompt(ctx.language, ctx.data.get("awaiting"), ctx.say("help_review"))
    if ctx.state == CHOOSING:
        return [ask_to_choose(ctx)]
    offered = await unfinished(deps, ctx) if ctx.user.actor.role is UserRole.TEACHER else None
    if offered is not None:  # the list, then what is waiting for this teacher
        return [role_help(ctx), offer(ctx, offered)]
    return [role_help(ctx)]
