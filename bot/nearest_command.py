"""A misspelt command word (`hlep`, `sumary school`, `סכום`): the command of the person's role it
is nearest to, spelt as the bot offers it, for a did-you-mean question (`bot.meant`)."""

from __future__ import annotations

import difflib

from bot.commands import BY_VERB, COMMANDS, WORDS, language_named
from core.models import UserRole

# How alike a word must be to a command word to be offered as it (difflib's ratio): one letter
# missing, doubled or swapped in a word of four letters or more ("hlep", "sumary", "histroy",
# "סכום") reaches it; a student's name typed alone ("Noah", "Liam") does not.
NEAR_MISS = 0.75
# Many Hebrew command words have three letters (נתח, שוב, שפה): one letter mistyped in one
# (נתך) is 0.67 alike, so a three-letter word is offered a three-letter command one letter off,
# but only when the rest of the line fits that command (`_fits`): many everyday three-letter
# words are one letter from one ("בלה בלה" is no "בטל בלה").
NEAR_MISS_SHORT = 0.66
# Commands whose words may be followed by a name or a scope (any text), and those by one word of
# a closed set; the others take nothing after them.
_TAKES_TEXT = frozenset({"analyze", "history", "students", "summary", "note", "export"})


def _fits(verb: str, rest: str) -> bool:
    """True when `rest` could follow `verb`'s word: a guess from a short word needs it."""
    if verb == "lang":
        return language_named(rest) is not None
    if verb == "help":
        return rest.lower().lstrip("/") in WORDS
    return bool(rest) and verb in _TAKES_TEXT


def nearest(text: str, role: UserRole) -> str | None:
    """`text` with its first word, a near miss of one of `role`'s command words, spelt right."""
    head, _, rest = text.strip().lstrip("/").partition(" ")
    head = head.lower().rstrip(".!?…")
    if len(head) < 3 or head in WORDS:
        return None
    # Every command of the role, the review's too (`dicsard`), not only those help lists.
    words = [w for c in COMMANDS if role in c.roles and c.verb != "start" for w in (*c.en, *c.he)]
    if len(head) == 3:
        rest = " ".join(rest.split())
        words = [w for w in words if len(w) == 3 and _fits(WORDS[w], rest)]
        cutoff = NEAR_MISS_SHORT
    else:
        cutoff = NEAR_MISS
    close = difflib.get_close_matches(head, words, n=1, cutoff=cutoff)
    if not close:
        return None
    # The word the bot offers for that command, in the language typed ("שמרו" is nearest to
    # "שמרי", but "שמירה" is what the menu says), not another form of it.
    command = BY_VERB[WORDS[close[0]]]
    offered = command.he[0] if close[0] in command.he else command.en[0]
    return " ".join([offered, *rest.split()])
