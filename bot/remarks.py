"""A request after a remark: "ok I talked to the teacher, mark it as reviewed", "דיברתי עם המורה,
תסמן כנבדק". People say what happened before they ask; the remark must not hide the request.

Only the last clause (after a comma, a full stop or a dash) is read as a request, and only where
the bot waits for no free text. It counts only when it plainly asks for something: everyday
words or request words around a command ("mark it as reviewed", "show me my students"), a
command word that is a verb alone ("oops, cancel"), or `analyze NAME`. A command word that is
also a noun is no request there ("I saw it, flagged", "..., history is hard for him"), nor is a
clause after a remark that asks for something itself (two requests: neither is guessed at).
"""

from __future__ import annotations

import re

from bot.commands import Parsed, parse
from bot.reading import read
from core.models import UserRole

# Where a clause ends: punctuation with a space after it ("Noah's", "ruth@demo.school" and
# "3.5" go on), or a dash between spaces.
_CLAUSE_END = re.compile(r"[,;.!?…]+\s+|\s+[-–—]+\s+")
# Command words that are verbs in the imperative: alone after a remark they ask for something
# ("oops, cancel"), where the others are nouns a remark uses too ("I saw it, flagged").
_ASKING_ALONE = frozenset({"analyze", "cancel", "help", "save", "discard", "resume", "retry",
                           "finish"})  # fmt: skip
# ...and with what it acts on: `analyze` is never a remark's word.
_ASKING_WITH_ARGUMENT = frozenset({"analyze"})


def _last_clause(text: str) -> tuple[str, str] | None:
    """`text` split before its last clause (the remark, the clause); None for one clause."""
    ends = list(_CLAUSE_END.finditer(text.strip()))
    if not ends:
        return None
    last = ends[-1]
    remark, clause = text.strip()[: last.start()], text.strip()[last.end() :]
    return (remark, clause) if remark.strip() and clause.strip() else None


def _plainly_asked(parsed: Parsed, clause: str) -> bool:
    """True when `parsed`, the reading of `clause`, plainly asks for a command."""
    if parsed.verb is None:
        return False
    typed = parse(clause)
    if typed != parsed:  # read from everyday or request words, not from its first word alone
        return True
    if typed.argument:
        return typed.verb in _ASKING_WITH_ARGUMENT
    return typed.verb in _ASKING_ALONE


def after_a_remark(text: str, role: UserRole) -> Parsed | None:
    """The command the last clause of `text` plainly asks for, when what comes before it is a
    remark (it asks for nothing); None otherwise. Outside free text only (the caller's part)."""
    split = _last_clause(text)
    if split is None:
        return None
    remark, clause = split
    if read(remark, interviewing=False, awaiting_text=False, role=role).verb is not None:
        return None
    parsed = read(clause, interviewing=False, awaiting_text=False, role=role)
    return parsed if _plainly_asked(parsed, clause) else None
