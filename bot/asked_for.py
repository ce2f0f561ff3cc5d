"""Lists asked for in everyday words: a student's past analyses ("Shira's analyses", "הניתוחים
של שירה"), one's own students ("who are my students?"), the flagged analyses ("any flagged
students?"), an admin's lists ("show me the users"), who saw a student's record ("who saw Noah's
analyses?"); and an analysis asked for as a talk about a student ("I want to talk about a
student").

The phrases are `bot.everyday`'s; `bot.reading.asked` asks here only outside an interview and
outside a text the bot waits for, and only for someone whose role has the command.
"""

from __future__ import annotations

from bot.admin_asked import admin_in_words, readers_asked
from bot.admin_grammar import names_an_area, split
from bot.commands import BY_VERB, Parsed
from bot.everyday import (
    ABOUT_THE_STUDENTS,
    ADMIN_LISTS,
    ASKING_FLAGGED,
    FLAGGED_FORMS,
    HISTORY_AFTER,
    HISTORY_BEFORE,
    MARK_REVIEWED,
    MY_STUDENTS,
    NAME_WORDS,
    NAMING,
    NOT_A_NAME,
    NOT_SOMEONE,
    SOMEONE,
    SPEECH,
    TALK_ABOUT,
)
from bot.phrasing import LEADING, bare, known
from bot.request_words import request_in_english
from core.models import UserRole
from core.scope_words import KINDS

_POSSESSIVE = ("'s", "s'")
# The verb of an admin command typed without `admin` (`admin_said`): run by
# `bot.admin_commands.handle` when it only reads, offered first when it writes.
ADMIN_SAID = "adminsaid"
# The verb of a teacher's "how are my students doing?": their list, and where each one's
# analyses are (a teacher has no summary).
HOW_THEY_DO = "studentshow"
# The verb of "who saw Noah's analyses?" from someone who is not an admin (an admin's is read as
# `admin audit student NAME`): the student's disclosure log, which core decides who may read.
READERS = "readers"


def _lowered(words: list[str]) -> tuple[str, ...]:
    return tuple(w.lower() for w in words)


def _requested(words: list[str]) -> list[str]:
    """`words` without the request words before them ("show me the", "תראה לי את")."""
    start = 0
    while start < len(words) - 1 and words[start].lower() in LEADING:
        start += 1
    return words[start:]


def admin_asked(text: str, words: list[str]) -> Parsed | None:
    """An admin's line that asks for an admin command without `admin`: a list asked for by
    name ("show me the users"), run as `admin users`; a line that starts with a command's word
    ("retention --dry-run", "audit student Noa", "מכסה"), or a request in everyday words ("add
    a teacher named ..."), read as `ADMIN_SAID`; else None."""
    area = ADMIN_LISTS.get(" ".join(_lowered(_requested(words))))
    if area is not None:
        return Parsed("admin", area, False)
    if names_an_area(split(text)):
        return Parsed(ADMIN_SAID, text.strip(), False)
    said = admin_in_words(text, words)
    return None if said is None else Parsed(ADMIN_SAID, said, False)


def readers_of(words: list[str]) -> Parsed | None:
    """`READERS` on the name when `words` ask who viewed a student's record ("who saw Noah's
    analyses?", "מי צפה בתיק של נועה?"); else None."""
    asked = readers_asked(words)  # the admin's command on that name: `audit student NAME`
    return None if asked is None else Parsed(READERS, asked.removeprefix("audit student "), False)


def students_asked(words: list[str], role: UserRole) -> Parsed | None:
    """`students` when `words` ask who one's students are ("who are my students?", "מי בכיתה
    שלי"); `HOW_THEY_DO` when they ask how they are doing and the person has no summary (a
    teacher: "how are my students doing?", "איך התלמידים שלי"); else None."""
    if role not in BY_VERB["students"].roles:
        return None
    said = " ".join(_lowered(words))
    if said in MY_STUDENTS:
        return Parsed("students", "", False)
    if role not in BY_VERB["summary"].roles and said in ABOUT_THE_STUDENTS:
        return Parsed(HOW_THEY_DO, "", False)
    return None


def marks_reviewed(words: list[str]) -> bool:
    """True when `words` ask to mark the flagged analysis read as dealt with ("mark it
    reviewed", "סמני כנבדק")."""
    return " ".join(_lowered(words)) in MARK_REVIEWED


def history_of(words: list[str]) -> str | None:
    """The name whose past analyses `words` ask for ("analyses of Shira", "Shira's history",
    "הניתוחים של שירה"), as typed; None when they ask no such thing."""
    words = _requested(words)
    lowered = _lowered(words)
    for opener in HISTORY_BEFORE:
        if lowered[: len(opener)] == opener:
            return _name(words[len(opener) :])
    for closer in HISTORY_AFTER:
        size = len(closer)
        if len(words) > size and lowered[-size:] == closer:
            name = words[:-size]
            last = name[-1]
            possessive = next((p for p in _POSSESSIVE if last.lower().endswith(p)), None)
            if possessive is not None:  # "Shira's analyses": without the 's
                return _name([*name[:-1], last[: -len(possessive)]])
    return None


def _name(words: list[str]) -> str | None:
    """`words` as a name: a few words, not a sentence."""
    return " ".join(words) if 0 < len(words) <= NAME_WORDS else None


def asks_for_flagged(phrase: str) -> bool:
    """True when `phrase` (lower-case, without punctuation) asks for the flagged list ("any
    flagged students?", "יש תלמידים מסומנים?")."""
    words = phrase.split()
    forms = {*BY_VERB["flagged"].en, *BY_VERB["flagged"].he, *FLAGGED_FORMS}
    flagged = [w for w in words if known(w, forms)]
    return (
        len(words) > 1
        and len(flagged) == 1
        and all(w in ASKING_FLAGGED for w in words if w not in flagged)
    )


def someone_named(argument: str) -> str:
    """`argument` of `analyze` as the student it names: "" for a student not named yet ("a
    student", "one of my students", "תלמידה"; `analyze` then asks whom), the name after a
    naming word ("a student named Noa", "תלמיד בשם נועם"); any other argument as it is."""
    words = argument.split()
    lowered = tuple(bare(w) for w in words)
    phrase = next((p for p in SOMEONE if lowered[: len(p)] == p), None)
    if phrase is None:
        return argument
    rest = words[len(phrase) :]  # "a student who ...", "תלמיד שמתקשה ...": whom, then
    named = _name(rest[1:]) if rest and bare(rest[0]) in NAMING else None
    return named.rstrip("?!.…") if named else ""


def talked_about(words: list[str]) -> Parsed | None:
    """`analyze` for "I want to talk about a student" ("אני רוצה לדבר על תלמיד"), on the
    student when one is named ("can we discuss Noa?"); None when the words ask no such thing,
    or the talk is about something else ("my class", "something")."""
    words = _requested(words)
    lowered = _lowered(words)
    opener = next((p for p in TALK_ABOUT if lowered[: len(p)] == p), None)
    if opener is None or len(words) == len(opener):
        return None
    about = " ".join(words[len(opener) :])
    named = someone_named(about)
    if named != about:  # "a student", "a student named Noa"
        return Parsed("analyze", named, False)
    said = {w.lower() for w in about.split()}
    if said & (NOT_A_NAME | SPEECH | NOT_SOMEONE) or request_in_english(about).split()[0] in KINDS:
        return None  # "my class", "how she is doing", "the school", "הכיתה": no one student
    return None if _name(about.split()) is None else Parsed("analyze", about, False)
