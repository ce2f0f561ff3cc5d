"""A summary's scope as an everyday question names it: "how many analyses in grade 5?", "מה
המצב בשכבה 5?", "what's going on in class 5-2?", "מה קורה אצל המורה דנה?".

The question's words are `bot.everyday`'s; what the scope means is core's (`request_in_english`
turns the words into the keywords it reads). `bot.reading` asks here only outside an interview
and outside a text the bot waits for.
"""

from __future__ import annotations

from bot.everyday import (
    ABOUT_A_SCOPE,
    COUNTING,
    HOW_MANY,
    NAME_WORDS,
    SCOPE_LEADS,
    TEACHER_AFTER,
    TEACHER_BEFORE,
    TEACHERS_PEOPLE_EN,
    TEACHERS_PEOPLE_HE,
)
from bot.request_words import request_in_english
from core.scope_words import KINDS, grade_number

# Hebrew glues "in" and "to" to the word ("בשכבה", "לכיתה"): read without it when the rest is
# a scope word.
_GLUED = ("ב", "ל")


def _lowered(words: list[str]) -> tuple[str, ...]:
    return tuple(w.lower() for w in words)


def scope_in(words: list[str]) -> str | None:
    """The summary request `words` name ("in grade 5", "בשכבה 5", "של המורה דנה"), in core's
    keywords ("grade 5"); None when they do not start with a scope word."""
    while words and words[0].lower() in SCOPE_LEADS:
        words = words[1:]
    if words and words[0].lower() == "the" and len(words) > 2:
        words = words[1:]  # "in the 5th grade"
    number = grade_number(words[0]) if len(words) >= 2 and words[1].lower() == "grade" else None
    if number is not None:
        words = ["grade", str(number), *words[2:]]  # "5th grade", "fifth grade": grade 5
    if not words:
        return None
    first = words[0]
    tried = [first] + [first[len(p) :] for p in _GLUED if first.startswith(p) and len(first) > 2]
    for head in tried:
        request = request_in_english(" ".join([head, *words[1:]])).split()
        if request and request[0] in KINDS:
            return " ".join(request)
    return None


def of_a_teacher(words: list[str]) -> str | None:
    """The words "teacher NAME" when `words` name a teacher's students or classes ("Dana Levi's
    students", "הכיתות של דנה"), whose summary covers them; else None."""
    while words and words[0].lower() in SCOPE_LEADS:
        words = words[1:]
    lowered = _lowered(words)
    name: list[str] = []
    if len(words) >= 2 and lowered[-1] in TEACHERS_PEOPLE_EN and lowered[-2].endswith("'s"):
        name = [*words[:-2], words[-2][:-2]]
    elif len(words) >= 3 and lowered[0] in TEACHERS_PEOPLE_HE and lowered[1] == "של":
        name = words[2:]
    if not name or len(name) > NAME_WORDS:
        return None
    return " ".join(["teacher", *name])


def counted(words: list[str]) -> str | None:
    """What "how many analyses ...?" counts: "school", or the scope named among the counting
    words ("in grade 5", "בשכבה 5") as core reads it; None when `words` ask no such thing."""
    lowered = _lowered(words)
    for opener in HOW_MANY:
        if lowered[: len(opener)] != opener:
            continue
        rest = words[len(opener) :]
        before: set[str] = set()
        after: set[str] = set()
        while rest and rest[0].lower() in COUNTING:
            before.add(rest[0].lower())
            rest = rest[1:]
        while rest and rest[-1].lower() in COUNTING:
            after.add(rest[-1].lower())
            rest = rest[:-1]
        if not rest:
            return "school"
        request = scope_in(rest)
        teacher = before & TEACHER_BEFORE or after & TEACHER_AFTER
        if request is None and teacher and len(rest) <= NAME_WORDS:
            request = f"teacher {' '.join(rest)}"  # "did Dana do": a name, and a teacher's
        return request
    return None


def about_a_scope(words: list[str]) -> str | None:
    """The scope in "how are things in grade 5?", "מה המצב בשכבה 5?", "איך כיתה ה'1?" (the
    period already taken off), as core reads it; None when `words` ask no such thing."""
    lowered = _lowered(words)
    for opener in ABOUT_A_SCOPE:
        if lowered[: len(opener)] != opener:
            continue
        rest = words[len(opener) :]
        request = scope_in(rest) or of_a_teacher(rest)
        # A scope and its value, as a name is: a longer rest is a sentence about something else.
        if request is not None and len(request.split()) <= NAME_WORDS + 1:
            return request
    return None
