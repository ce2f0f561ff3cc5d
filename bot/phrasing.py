"""A command said as people say it: "show my students", "please analyze Noa", "התלמידים שלי".

People wrap a command word in request words ("show me", "can you", "I want to", "תראה לי את"),
put the Hebrew article or the infinitive's ל on it ("התלמידים", "לנתח"), name the student with
an object word ("history of Noa", "נתח את נועה") and close with "please", "thanks" or "שלי".
`unwrapped` peels those off, but only when what is left starts with a command word, so an
ordinary sentence is never bent into a command. The engine asks it only outside an interview and
outside a text the bot waits for: there the words are the teacher's own.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# Words that may stand before a command word in a request. Lower-case, without punctuation.
LEADING = frozenset(
    """please pls plz kindly can could would will you u i i'd id want wanna need like to let
    let's lets us me my our all the a an show list give get see view display open do start begin
    בבקשה אפשר אני רוצה רוצים צריך צריכה תן תני לי את כל הראה הראי תראה תראי הצג הציגי
    תציג תציגי בוא בואי בואו נא רשימת רשימה""".split()
)
# Verbs of writing that may also stand before a command word ("add a note: ...", "תוסיף הערה"),
# only there: an admin's "add a teacher ..." is read for its own words (`bot.admin_asked`).
WRITING = frozenset(
    "add write put leave make הוסף הוסיפי תוסיף תוסיפי להוסיף כתוב כתבי תכתוב תכתבי לכתוב".split()
)
# Words that may close a request after its command word and argument.
TRAILING = frozenset("please pls plz thanks thx me it שלי שלנו בבקשה תודה אותו אותה".split())
# Words that may stand between the verb and what it is about.
OBJECT_WORDS = frozenset("את my of about the all כל של על".split())
# Verbs whose argument names what they act on ("history of Noa", "export all my analyses").
NAMING_VERBS = frozenset({"analyze", "history", "students", "export"})
# The Hebrew article ("התלמידים") and the infinitive's ל ("לנתח"): a word is read without one
# only when the rest is a command word.
PREFIXES = ("ה", "ל")
_PUNCTUATION = re.compile(r"^[\"'“”„]+|[?!.,:;…\"'“”]+$")


def bare(word: str) -> str:
    """`word` lower-cased without the punctuation around it."""
    return _PUNCTUATION.sub("", word.lower())


def known(word: str, words: Collection[str], prefixes: tuple[str, ...] = ("ה",)) -> str | None:
    """`word` (lower-cased) if it is one of `words`, or without a Hebrew prefix when the rest
    is ("השכבה" is "שכבה"); None otherwise. The one place a Hebrew prefix is read off."""
    plain = word.lower()
    if plain in words:
        return plain
    for prefix in prefixes:
        if plain.startswith(prefix) and plain[len(prefix) :] in words:
            return plain[len(prefix) :]
    return None


def unwrapped(text: str, words: dict[str, str]) -> str | None:
    """`text` as a command word and its argument, the request around them peeled off; None
    when no command word follows the request words. `words` maps command words to verbs."""
    parts = text.split()
    start = 0
    while start < len(parts) and bare(parts[start]) in LEADING | WRITING:
        start += 1
    if start == len(parts):
        return None
    head = known(bare(parts[start]), words, PREFIXES)
    if head is None:
        return None
    rest = parts[start + 1 :]
    while rest and bare(rest[-1]) in TRAILING:
        rest.pop()
    while words[head] in NAMING_VERBS and rest and bare(rest[0]) in OBJECT_WORDS | TRAILING:
        rest.pop(0)
    if rest:  # "…of Noa?": the name without the question mark
        rest[-1] = rest[-1].rstrip("?!.…")
    return " ".join([head, *rest])
