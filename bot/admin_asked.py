"""An admin's requests in everyday words, read as the admin command each stands for: adding an
account ("add a teacher named Ruth Cohen ruth@demo.school", "הוסף מורה רות כהן ..."), and
deactivating or reactivating one by its address ("deactivate teacher2@demo.school", "השבת את
..."), what the analyses cost in a month ("how much did we spend this month?", "כמה הוצאנו
החודש?") and who read a student's record ("who looked at Noah's record?", "מי צפה בתיק של
נועה?").

`bot.asked_for.admin_asked` asks here for admins only, and what comes back is handled as an
admin command typed without `admin` (`bot.admin_commands.handle`): one that changes data is
offered first with a button, never run unasked; one that only reads runs (a student named by a
guess is asked about first, as the command typed would be).
"""

from __future__ import annotations

import re

from bot.admin_grammar import CURLY, INVISIBLE
from bot.admin_words import (
    ADD_FILLERS,
    ADD_VERBS,
    MORE,
    READ_BY,
    RECORD_EN,
    RECORD_HE,
    ROLE_WORDS,
    SPENDING,
    SPENDING_EXTRA,
    SWITCH_FILLERS,
    SWITCH_VERBS,
    asked_for_more,
)
from bot.everyday import NOT_A_NAME, SPEECH
from bot.phrasing import LEADING, known
from bot.request_words import request_in_english
from core.periods import KEYWORDS

# What the words of an address look like: something@somewhere.tld.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
# Quotes, brackets and sentence punctuation around a word ("(dan@demo.school),", "Levi,").
_AROUND = re.compile(r"^[\"'“”„(\[<]+|[\"'“”)\]>.,;:!?…]+$")
# A school's code as codes are written: capitals and digits, with a digit ("DEMO-01", "N-3"); a
# name has none. Hebrew glues "to" or "in" to it ("ל-DEMO-01", "בDEMO-01").
_CODE = re.compile(r"^(?:[לב]-?)?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)$")
_NAME_MARKS = frozenset("'-’׳״\".")  # inside a name: O'Brien, Ben-Zion, ג'ודי, J.
NAME_WORDS = 4  # first and last names of two words each; more is a sentence
_ROLES_LONGEST_FIRST = sorted(ROLE_WORDS, key=len, reverse=True)
# Hebrew glues "as" or "the" to the role ("כמורה", "המורה").
_ROLE_PREFIXES = ("כ", "ה")
_MONTH = re.compile(r"\d{4}-\d{2}")  # a month as usage reads it, 2026-11
# Between what was read and whose it is ("the record of Noah", "התיק של נועה").
_OF = frozenset({"of", "for", "on", "about", "של", "על"})
# Before what was read: "at" after "looked", "את" or "על" before the Hebrew object.
_BEFORE = frozenset({"at", "the", "את", "על", "ל"})
_POSSESSIVE = ("'s", "'")  # Noah's, Williams'


def _tokens(text: str) -> list[str]:
    """`text`'s words as typed, without the punctuation and brackets around them."""
    spaced = text.translate(INVISIBLE).translate(CURLY).split()
    return [w for w in (_AROUND.sub("", w) for w in spaced) if w]


def _requested(tokens: list[str]) -> list[str]:
    """`tokens` without the request words before them ("please", "can you", "אני רוצה")."""
    start = 0
    while start < len(tokens) and tokens[start].lower() in LEADING:
        start += 1
    return tokens[start:]


def _role(tokens: list[str]) -> tuple[str | None, list[str]]:
    """The role the words name (the longest phrase, once) and the words without it; None when
    they name none, or more than one."""
    found: str | None = None
    rest: list[str] = []
    at = 0
    while at < len(tokens):
        for phrase in _ROLES_LONGEST_FIRST:
            typed = [w.lower() for w in tokens[at : at + len(phrase)]]
            if typed and len(phrase) == 1:
                typed[0] = known(typed[0], {phrase[0]}, _ROLE_PREFIXES) or typed[0]
            if tuple(typed) == phrase:
                if found is not None:
                    return None, tokens
                found, at = ROLE_WORDS[phrase], at + len(phrase)
                break
        else:
            rest.append(tokens[at])
            at += 1
    return found, rest


def _code(word: str) -> str | None:
    """The school code `word` is ("DEMO-01", "ל-DEMO-01"), or None."""
    found = _CODE.match(word)
    return found[1] if found and any(c.isdigit() for c in found[1]) else None


def _a_name_word(word: str) -> bool:
    return any(c.isalpha() for c in word) and all(c.isalpha() or c in _NAME_MARKS for c in word)


def _quoted(words: list[str]) -> str:
    """A part of a name as one argument: quoted when it has several words."""
    return " ".join(words) if len(words) == 1 else f'"{" ".join(words)}"'


def account_added(text: str) -> str | None:
    """`user add EMAIL ROLE FIRST LAST [SCHOOL]` for "add a teacher named Ruth Cohen
    ruth@demo.school" (the last word of the name is the last name); None unless the words are
    an add verb, one address, one role and a name, with the words around them that say
    nothing more."""
    tokens = _requested(_tokens(text))
    if not tokens or tokens[0].lower() not in ADD_VERBS:
        return None
    emails = [w for w in tokens[1:] if _EMAIL.fullmatch(w)]
    if len(emails) != 1:
        return None
    role, rest = _role([w for w in tokens[1:] if w != emails[0]])
    codes = [code for code in map(_code, rest) if code is not None]
    name = [w for w in rest if w.lower() not in ADD_FILLERS and _code(w) is None]
    if role is None or len(codes) > 1 or not 0 < len(name) <= NAME_WORDS:
        return None
    if not all(_a_name_word(w) for w in name):
        return None
    person = [_quoted(name[:-1]), name[-1]] if len(name) > 1 else name
    return " ".join(["user", "add", emails[0], role, *person, *codes])


def account_switched(text: str) -> str | None:
    """`user deactivate EMAIL` for "deactivate teacher2@demo.school" ("השבת את ..."), `user
    reactivate EMAIL` for "reactivate ..." ("הפעל מחדש את ..."); None unless the words are such
    a verb, one address and the words around it that say nothing more."""
    tokens = _requested(_tokens(text))
    action = SWITCH_VERBS.get(tokens[0].lower()) if tokens else None
    emails = [w for w in tokens[1:] if _EMAIL.fullmatch(w)]
    if action is None or len(emails) != 1:
        return None
    if any(w.lower() not in SWITCH_FILLERS for w in tokens[1:] if w != emails[0]):
        return None  # "disable ... until the end of the year": a sentence, not the command
    return f"user {action} {emails[0]}"


def spending_asked(words: list[str]) -> str | None:
    """`usage [MONTH]` for "how much did we spend (this month)?" ("כמה הוצאנו החודש?"); None
    unless the words are such a question with at most a period after it."""
    lowered = tuple(w.lower() for w in words)
    phrase = next((p for p in SPENDING if lowered[: len(p)] == p), None)
    if phrase is None:
        return None
    rest = [w for w in words[len(phrase) :] if w.lower() not in SPENDING_EXTRA]
    if not rest:
        return "usage"
    # The month as usage reads it ("last month", "החודש", "2026-11"); another period (this
    # year) is said to it too, and usage answers that it counts by the month.
    period = request_in_english(" ".join(rest))
    return f"usage {period}" if period in KEYWORDS or _MONTH.fullmatch(period) else None


def _whose(words: list[str]) -> str | None:
    """The name in what was read ("Noah's record", "the file of Noah", "בתיק של נועה", or the
    name alone, "Noah"), as typed; None when the words name no one."""
    lowered = [w.lower() for w in words]
    if words and known(lowered[0], RECORD_EN | RECORD_HE, ("ב", "ה", "ל")):
        name = words[2:] if len(words) > 2 and lowered[1] in _OF else []  # not "בתיק שלה"
    elif len(words) > 1 and lowered[-1] in RECORD_EN:
        last = words[-2]
        ending = next((p for p in _POSSESSIVE if last.lower().endswith(p)), None)
        name = [*words[:-2], last[: -len(ending)]] if ending else []
    else:
        name = words
    said = {w.lower() for w in name}
    if not 0 < len(name) <= NAME_WORDS or said & (NOT_A_NAME | SPEECH | RECORD_EN | _BEFORE):
        return None
    return " ".join(name)


# Hebrew verbs of looking whose object takes ב ("צפה ב", "עיין ב", "הסתכל ב").
_TAKES_BET = frozenset("צפה צפתה צפו עיין עיינה עיינו הסתכל הסתכלה הסתכלו".split())


def _bet_before_a_name(word: str) -> bool:
    """Whether `word` is a name with the preposition ב on it ("בליאם"), not a record's word
    ("בתיק", read by `_whose`) or a name too short to be one without it."""
    lowered = word.lower()
    record = known(lowered, RECORD_EN | RECORD_HE, ("ב", "ה", "ל"))
    return lowered.startswith("ב") and len(lowered) > 3 and not record


def readers_asked(words: list[str]) -> str | None:
    """`audit student NAME` for "who looked at Noah's record?" ("מי צפה בתיק של נועה?"): the
    student's disclosure log; None unless the words ask who saw a named student's record."""
    lowered = tuple(w.lower() for w in words)
    opener = next((p for p in READ_BY if lowered[: len(p)] == p), None)
    if opener is None:
        return None
    rest = words[len(opener) :]
    while rest and rest[0].lower() in _BEFORE:
        rest = rest[1:]
    if opener[-1] in _TAKES_BET and rest and _bet_before_a_name(rest[0]):
        # "מי צפה בליאם?": the verb's ב is written on the name ("אין תלמיד/ה „בליאם”").
        rest = [rest[0][1:], *rest[1:]]
    name = _whose(rest)
    return None if name is None else f"audit student {name}"


def admin_in_words(text: str, words: list[str]) -> str | None:
    """The admin command (without `admin`) an admin's sentence asks for, or None; `words` are
    the sentence's words without punctuation, "what's" read as "what is"."""
    return (
        account_added(text)
        or account_switched(text)
        or spending_asked(words)
        or readers_asked(words)
        or (MORE if asked_for_more(words) else None)  # the rest of the list just shown
    )
