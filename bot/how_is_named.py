""" "איך ליאם?" ("how is Liam?" in the fewest Hebrew words): a question about one student, read
only once the name is looked up.

"איך" before a word alone is as often a question about something else ("איך עובדים?", "איך
נכנסים?"), so `bot.reading` reads "איך NAME" only with a verb after the name ("איך שירה
מתקדמת?"). Here, after nothing else read the message, the words after "איך" are looked up
among the person's own students; when they name some, the message is what "מה שלום NAME?"
is: that student's summary for someone who has summaries (the policy in core decides whose),
a teacher's the student's history. A guessed name is asked about by those commands first.

When they name none of them but look like a name (Latin letters, or Hebrew words that are no
verb form: "איך Zelda?", "איך נועה?", not "איך נכנסים?"), it is the same question: the command
says the name is not among the person's students, as it says for "history NAME". Whether the
words look like a name is read from them alone, never from other schools' students, so the
reply tells nothing about who studies elsewhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.commands import BY_VERB, WORDS, Parsed
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
LATIN_NAME = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’-][A-Za-zÀ-ÿ]+)*")
HEBREW_NAME = re.compile(
    r"[\u05d0-\u05ea\u05b0-\u05c7]+(?:['׳-][\u05d0-\u05ea\u05b0-\u05c7]+)*[׳']?"
)


def _verb_form(word: str) -> bool:
    """A Hebrew word shaped as a verb people ask "איך" with: a plural present ("נכנסים",
    "עושות") or an infinitive ("להוסיף", "לכתוב"). Short names (חיים, מרים) and names of ל
    with a vowel letter after it (ליאור, לאה) are not."""
    if len(word) >= 5 and word.endswith(("ים", "ות")):
        return True
    return len(word) >= 5 and word.startswith("ל") and word[1] not in "יאו"


def looks_like_a_name(words: list[str]) -> bool:
    """True when `words` may be a person's name by their shape alone: each word letters of
    one script (Sarah כץ), no command word, no Hebrew verb form."""
    if any(w.lower() in WORDS for w in words):
        return False
    return all(
        LATIN_NAME.fullmatch(w) or (HEBREW_NAME.fullmatch(w) and not _verb_form(w)) for w in words
    )


async def how_is_named(deps: Deps, ctx: Context, said: str) -> Parsed | None:
    """The command "איך NAME?" asks for when NAME names some of the person's students, or
    looks like a name; None when the message is no such question."""
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
    if (not found and not looks_like_a_name(name)) or len(found) > NAME_MATCHES:
        return None
    # A word read as a name across scripts or by a typo ("עובדים" as someone) is only a guess:
    # a single word of it is more likely a question about something else.
    if len(name) == 1 and not any(named_as_typed(query, s) for s in found) and len(found) > 1:
        return None
    role = ctx.user.actor.role
    verb = "summary" if role in BY_VERB["summary"].roles else "history"
    return Parsed(verb, query, False) if role in BY_VERB[verb].roles else None
