"""Following the language a person writes in, when they never chose one with `lang`: an
English "who are my students?" in a school that answers in Hebrew is answered in English, and a
Hebrew message in Hebrew, whatever the platform reports (Slack's locale, Telegram's
language_code and the terminal's LANG are often English on a Hebrew speaker's device).

Only plain signs count: Hebrew letters, or an English word of prose ("how", "my", "the"). A
command word ("summary", "analyze") or a name ("Liam") is no sign: the English command words
work in either language, and Hebrew speakers type them, so an English command word followed by a
Hebrew name ("history שירה") is no sign either. What was followed is kept with the conversation;
an interview keeps the language it started in.

A language chosen with `lang` is the person's word and is kept, even over several messages in
the other language (a Hebrew name, a quoted sentence, a colleague at the keyboard); but the first
message of a run in the other language is told, in that language, how to switch, so nobody who
writes Hebrew reads English without knowing why.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.commands import parse
from bot.events import Reply
from bot.i18n import t
from bot.states import INTERVIEWING

if TYPE_CHECKING:
    from bot.context import Context

_HEBREW = re.compile(r"[\u05d0-\u05ea]")
# A word, with its apostrophe or hyphens ("what's", "this-year": a period, one word).
_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")
# Words of English prose that no name or command is: one of them and no Hebrew letter is a
# message written in English. Not "ok", "yes" or "no", which Hebrew speakers write too, nor
# the words of a command's scope or period ("this month", "last term", "all").
_ENGLISH = frozenset(
    """i i'm i'd i've you you're we he she he's she's it it's they my our your his her their
    me us them the a an is are was were am be been do does did have has had how what what's
    who whom which when where why can could would will should please thanks thank hi hello hey
    good morning evening want need like to of in on at for with and but not about there many
    much from so just""".split()
)
FOLLOWED = "language"  # in the state: the language followed (Context.language reads it first)
NOTED = "language_noted"  # in the state: a chooser was told how to switch, this run


def written_in(text: str) -> str | None:
    """"he" for a message with Hebrew letters, "en" for one with an English word of prose and
    none; None when it shows no language (a command, a name, a number)."""
    parsed = parse(text)
    if parsed.verb is not None and text.strip().lstrip("/")[:1].isascii():
        return None  # "history שירה": an English command word and a name
    if _HEBREW.search(text):
        return "he"
    # U+FFFD stands for a letter lost on the way ("he\ufffdlp"), not for a space between words.
    words = _WORD.findall(text.lower().replace("’", "'").replace("\ufffd", ""))
    return "en" if any(w in _ENGLISH for w in words) else None


def follow(ctx: Context) -> Reply | None:
    """The line said before the reply when the message is written in a language other than
    the one answered in: for a person who never chose one, that language is followed (kept for
    the conversation) and the line says so; for one who chose, the line says, once a run, in
    the language written, how to switch. None when it changes nothing."""
    event = ctx.event
    if event.action or event.literal or ctx.state == INTERVIEWING:
        return None
    if parse(event.text).verb == "lang":  # "lang he" chooses; its "he" is no English word
        return None
    written = written_in(event.text)
    if written is None:
        return None
    if written == ctx.language:
        ctx.data.pop(NOTED, None)  # back in the chosen language: a new run is told again
        return None
    if not ctx.user.language_settled:
        ctx.data[FOLLOWED] = written
        return Reply(ctx.say("lang_followed"))
    if ctx.data.get(NOTED):
        return None
    ctx.data[NOTED] = True
    return Reply(t(written, "lang_kept"))
