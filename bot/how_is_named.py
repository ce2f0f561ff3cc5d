""""איך ליאם?" ("how is Liam?" in the fewest Hebrew words): a question about one student, read
only once the name is looked up.

"איך" before a word alone is as often a question about something else ("איך עובדים?", "איך
נכנסים?"), so `bot.reading` reads "איך NAME" only with a verb after the name ("איך שירה
מתקדמת?"). Here, after nothing else read the message, the words after "איך" are looked up
among the person's own students; when they name some, the message is what "מה שלום NAME?"
is: that student's summary for someone who has summaries (the policy in core decides whose),
a teacher's the student's history. A guessed name is asked about by those commands first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import BY_VERB, Parsed
from bot.deps import Deps
from bot.everyday import NAME_WORDS, NOT_A_NAME, SPEECH
from bot.names_typed import named_as_typed
from core.errors import InvalidInput
from core.services import students

if TYPE_CHECKING:
    from bot.context import Context

HOW = frozenset({"איך", "ואיך"})
PUNCTUATION = "?!.…,׃:;\"'״׳ "
NAME_MATCHES = 3  # more students than that: a fragment of names (or a word), not a name


async def how_is_named(deps: Deps, ctx: Context, said: str) -> Parsed | None:
    """The command "איך NAME?" asks for when NAME names some of the person's students; None
    when the message is no such question, or the words after "איך" name none of them."""
    words = said.strip(PUNCTUATION).split()
    if len(words) < 2 or words[0] not in HOW:
        return None
    name = [w.strip(PUNCTUATION) for w in words[1:]]
    lowered = {w.lower() for w in name}
    if len(name) > NAME_WORDS or not all(name) or lowered & (NOT_A_NAME | SPEECH):
        return None
    query = " ".join(name)
    try:
        async with deps.read_uow() as uow:
            found = await students.find_students(
                uow=uow, actor=ctx.user.actor, query=query, limit=5, best_only=True
            )
    except InvalidInput:
        return None
    if not found or len(found) > NAME_MATCHES:
        return None
    # A word read as a name across scripts or by a typo ("עובדים" as someone) is only a guess:
    # a single word of it is more likely a question about something else.
    if len(name) == 1 and not any(named_as_typed(query, s) for s in found) and len(found) > 1:
        return None
    role = ctx.user.actor.role
    verb = "summary" if role in BY_VERB["summary"].roles else "history"
    return Parsed(verb, query, False) if role in BY_VERB[verb].roles else None
