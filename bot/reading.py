"""How a typed message is read in a state: a command, a command asked in everyday words, or text.

The words are the vocabulary's (`bot.commands`) and the everyday phrases' (`bot.everyday`).
Everyday questions ("how is the school doing?", "how many analyses this month?", "how is Shira
doing?") run only read-only commands, and are read only where the bot waits for no free text:
in an interview, or while a note or a section's text is awaited, the words are the teacher's.
"""

from __future__ import annotations

import functools
import re

from bot.asked_for import (
    admin_asked,
    asks_for_flagged,
    history_of,
    marks_reviewed,
    readers_of,
    students_asked,
    talked_about,
)
from bot.cancel_asked import asks_to_cancel
from bot.commands import BY_VERB, CONTROL, WORDS, Parsed, is_control, parse
from bot.everyday import (
    ABOUT_A_PERIOD,
    ABOUT_THE_SCHOOL,
    APPROVING,
    FAREWELLS,
    FLAG_FOR,
    GREETINGS,
    HELP_PHRASES,
    HOLD_ON,
    HOW_IS,
    INTENTS,
    NAME_WORDS,
    NOT_A_NAME,
    QUESTION_AGAIN,
    SCHOOL_SAID,
    THANKS,
)
from bot.phrasing import NAMING_VERBS, TRAILING, bare, unwrapped
from bot.request_words import PERIOD_WORDS, request_in_english
from bot.scope_asked import about_a_scope, of_a_teacher
from bot.scope_asked import counted as counted_in
from core.models import UserRole
from core.scope_words import KINDS

# Words around an everyday phrase that do not change it ("sorry, what was the question?").
_POLITE_BEFORE = frozenset({"sorry", "so", "ok", "okay", "um", "סליחה", "רגע", "אז"})
_POLITE_AFTER = frozenset({"please", "pls", "plz", "בבקשה"})
_SPELT_OUT = {"what's": ("what", "is"), "whats": ("what", "is"), "how's": ("how", "is"),
              "hows": ("how", "is")}  # fmt: skip
# Every period phrase and its keyword, longest first ("this month" before "this").
_PERIODS = sorted(
    ((tuple(p.split()), keyword) for keyword, ws in PERIOD_WORDS.items()
     for p in (*ws["en"], *ws["he"])),
    key=lambda item: -len(item[0]),
)  # fmt: skip


_PUNCTUATION = re.compile(r"[?!.…,;:]+")
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (str.isalnum), any script


@functools.lru_cache(maxsize=64)
def _words(text: str) -> tuple[str, ...]:
    """`text`'s words as typed, without punctuation, symbols (":)") or the polite words around
    them."""
    # Cached (a few entries): every interview answer is read here three times (greeting,
    # phrase, intent), and it was the dialogue's costliest step per exchange (bench-turns).
    spaced = _PUNCTUATION.sub(" ", text.replace("’", "'")).split()
    words = [w for w in spaced if _ALNUM.search(w)]
    while len(words) > 1 and words[0].lower() in _POLITE_BEFORE:
        words.pop(0)
    while len(words) > 1 and words[-1].lower() in _POLITE_AFTER:
        words.pop()
    return tuple(words)


def _phrase(text: str) -> str:
    """`text` as an everyday phrase: lower-cased, without punctuation or the polite words
    around it."""
    return " ".join(_words(text)).lower()


# The school phrases by their first word, longest first ("at the school" before "at school").
_SCHOOL_BY_FIRST: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _old, _new in sorted(SCHOOL_SAID.items(), key=lambda item: -len(item[0])):
    _SCHOOL_BY_FIRST.setdefault(_old[0], []).append((_old, _new))


def _said(text: str) -> list[str]:
    """`text`'s words with "what's" and "how's" spelt out and the school named as the question
    tables name it ("at school", "בביה״ס")."""
    words = [part for w in _words(text) for part in _SPELT_OUT.get(w.lower(), (w,))]
    lowered = [w.lower() for w in words]
    # One pass, looking up only the phrases a word can start: every interview answer is read
    # here, and trying each phrase at every position was the engine's costliest function per
    # exchange (bench-turns' profile).
    said: list[str] = []
    at = 0
    while at < len(words):
        for old, new in _SCHOOL_BY_FIRST.get(lowered[at], ()):
            if tuple(lowered[at : at + len(old)]) == old:
                said.extend(new)
                at += len(old)
                break
        else:
            said.append(words[at])
            at += 1
    return said


def _lowered(words: list[str]) -> tuple[str, ...]:
    return tuple(w.lower() for w in words)


def _without_period(words: list[str], *, at_end: bool) -> tuple[list[str], str]:
    """`words` without the period phrase in them (only at the end, with `at_end`), and its
    keyword ("" when there is none)."""
    lowered = _lowered(words)
    for phrase, keyword in _PERIODS:
        size = len(phrase)
        starts = [len(words) - size] if at_end else range(len(words) - size + 1)
        for at in starts:
            if at >= 0 and lowered[at : at + size] == phrase:
                return words[:at] + words[at + size :], keyword
    return words, ""


def greeting(text: str) -> str | None:
    """The kind of greeting `text` is (`hello`, `morning`, `well`...), or None."""
    return GREETINGS.get(" ".join(_lowered(_said(text))))


def farewell(text: str) -> str | None:
    """The kind of goodbye `text` is (`bye`, `night`), or None."""
    kind = greeting(text)
    return kind if kind in FAREWELLS else None


def thanked(text: str) -> bool:
    """True when `text` says thank you and nothing more."""
    return _phrase(text) in THANKS


def holding(text: str) -> bool:
    """True when `text` asks to wait ("one moment", "רגע") and nothing more."""
    return _phrase(text) in HOLD_ON


def intent(text: str) -> str | None:
    """The verb `text` asks for in everyday words mid-interview (INTENTS), or None."""
    phrase = _phrase(text)
    verb = next((verb for verb, phrases in INTENTS.items() if phrase in phrases), None)
    return verb or ("cancel" if asks_to_cancel(phrase) else None)


def flag_purpose(text: str) -> bool:
    """True when `text`, said after `flag`, only says what a flag is for ("for review", "לבדיקה")
    or nothing at all: `flag` takes no argument."""
    phrase = _phrase(text)
    return not phrase or phrase in FLAG_FOR


def approving(text: str) -> bool:
    """True when `text` says the draft is right, or that the teacher is done ("ok", "זהו")."""
    phrase = _phrase(text)
    return phrase in APPROVING or phrase in INTENTS["finish"]


def _how_is(words: list[str]) -> tuple[str, str]:
    """The name in "how is NAME doing [PERIOD]?" as typed, and the period's keyword; ("", "")
    when `words` ask no such thing."""
    words, period = _without_period(words, at_end=True)
    lowered = _lowered(words)
    for opener, closers in HOW_IS:
        if lowered[: len(opener)] != opener:
            continue
        for closer in sorted(closers, key=len, reverse=True):
            end = len(words) - len(closer)
            if lowered[end:] != closer:
                continue
            name = words[len(opener) : end]
            if 0 < len(name) <= NAME_WORDS and not NOT_A_NAME.intersection(_lowered(name)):
                return " ".join(name), period
    return "", ""


def _names_a_scope(name: str) -> bool:
    """True when `name` starts with a summary's scope word ("grade 5", "המורה דנה")."""
    return request_in_english(name).split()[0] in KINDS


def asked(text: str, role: UserRole) -> Parsed | None:
    """The read-only command a question in everyday words asks for, for a person of `role`:
    the school's summary ("how is the school doing?"), with a period when one is said; the same
    for "how many analyses [in grade 5]?" (it counts them; a teacher, who has no summary, gets
    `how_many`, offered their export); "how is NAME doing?" is NAME's summary, a teacher's the
    student's history."""
    words = _said(text)
    if len(words) > 1 and words[0].lower() in GREETINGS:  # "hi, how is the school doing?"
        words = words[1:]
    admin = admin_asked(text, words) if role is UserRole.ADMIN else readers_of(words)
    if admin is not None:  # "users", "retention --dry-run": as after `admin` (or offered)
        return admin  # (not an admin: "who saw Noah's analyses?", not Noah's history)
    summaries = role in BY_VERB["summary"].roles
    listed = students_asked(words, role)
    if listed is not None:  # "who are my students?"; a teacher's "how are my students doing?"
        return listed
    talked = talked_about(words) if role in BY_VERB["analyze"].roles else None
    if talked is not None:  # "I want to talk about a student": an analysis, of whom?
        return talked
    if role in BY_VERB["reviewed"].roles and marks_reviewed(words):
        return Parsed("reviewed", "", False)
    named = history_of(words) if role in BY_VERB["history"].roles else None
    if named is not None:  # "Shira's analyses", not "analyze Shira" (a near miss of analyses)
        return Parsed("history", named, False)
    rest, period = _without_period(words, at_end=False)
    about = " ".join(_lowered(rest))
    if summaries and (about in ABOUT_THE_SCHOOL or (period and about in ABOUT_A_PERIOD)):
        return Parsed("summary", f"school {period}".strip(), False)
    if about in ABOUT_THE_SCHOOL:  # a teacher's: `summary` says whose it is and what is theirs
        return Parsed("summary", "school", False)
    counted = counted_in(rest)
    if counted is not None and summaries:
        return Parsed("summary", f"{counted} {period}".strip(), False)
    if counted == "school":  # a teacher's own, whatever the words: no scope but theirs
        return Parsed("how_many", period, False)
    name, said_period = _how_is(words)
    if name and summaries:  # "how are Dana's students doing?": Dana's summary
        name = of_a_teacher(name.split()) or name
        return Parsed("summary", f"{name} {said_period}".strip(), False)
    scope = about_a_scope(rest) if summaries else None
    if scope is not None:  # "מה המצב בשכבה 5?" ("how is grade 5 doing" is read just above)
        return Parsed("summary", f"{scope} {period}".strip(), False)
    if name and role in BY_VERB["history"].roles and not _names_a_scope(name):
        return Parsed("history", name, False)  # a student's, not "grade 5"'s
    return None


def read(
    text: str, *, interviewing: bool, awaiting_text: bool, role: UserRole | None = None
) -> Parsed:
    """What a typed message means in a state (and, for everyday questions, to whom).

    Control words are commands everywhere. Where the bot waits for free text (an interview
    answer, an edited section, a note), any other command needs its slash, and a message that
    is exactly a bare command word comes back as verb `ask` (did you mean the command?), and so
    does one that starts with a command word (`analyze Olivia Brown`, `history Liam` while a
    note is awaited): asking costs a teacher who meant the words as text one button, and stores
    nothing meanwhile, where taking them as text kept a command as a private note. Everyday
    questions (`asked`) are read only where no free text is awaited, and only with `role`.
    """
    phrase = _phrase(text)
    if not awaiting_text and phrase in HELP_PHRASES:
        return Parsed("help", "", False)
    if not awaiting_text and phrase in QUESTION_AGAIN:
        return Parsed("resume", "", False)
    free = interviewing or awaiting_text
    if not free and asks_for_flagged(phrase):
        return Parsed("flagged", "", False)
    question = asked(text, role) if role is not None and not free else None
    if question is not None:
        return question
    parsed = parse(text)
    if not (free or parsed.slashed):
        parsed = as_requested(parsed, text)
    if parsed.verb is None and parsed.slashed and free:
        return Parsed("unknown", text.strip(), True)  # `/sumary`: meant as a command, not text
    if parsed.verb is None or parsed.slashed or is_control(parsed):
        return parsed
    if parsed.verb == "resume" and not parsed.argument:
        return parsed  # "resume" alone: the question (or the review) again
    if not free:
        return parsed
    if parsed.verb == "lang":
        return _language_asked(parsed, text)
    if not parsed.argument or parsed.verb not in CONTROL:
        return Parsed("ask", text.strip(), False)
    return Parsed(None, text.strip(), False)


def _language_asked(parsed: Parsed, text: str) -> Parsed:
    """`lang WORD` where free text is awaited, WORD no language the bot knows ("lang klingon"):
    English `lang` is no word of prose, so it asks for a language (answered with the languages
    there are, never stored); Hebrew שפה is one ("שפה עשירה", a rich language), so one word
    after it is asked about; a sentence that starts with either is text."""
    said = text.strip()
    if len(parsed.argument.split()) != 1:
        return Parsed(None, said, False)
    if said.split()[0].lower() in BY_VERB["lang"].en:
        return Parsed("lang", parsed.argument, False)
    return Parsed("ask", said, False)


def as_requested(parsed: Parsed, text: str) -> Parsed:
    """`parsed`, or the command `text` asks for in request words ("show my students")."""
    if parsed.verb is not None and not parsed.argument:
        return parsed
    words = parsed.argument.split()
    closing = bool(words) and bare(words[-1]) in TRAILING and parsed.verb != "note"
    if parsed.verb not in (None, "start", *NAMING_VERBS) and not closing:
        return parsed  # a note keeps its words; `start` alone is Telegram's first message
    meant = unwrapped(text, WORDS)
    return parsed if meant is None else parse(meant)
