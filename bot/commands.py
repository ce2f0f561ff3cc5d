"""Reading what the user wrote: a command verb and its argument, or plain text."""

from __future__ import annotations

from dataclasses import dataclass

VERBS = {
    "analyze",
    "students",
    "history",
    "resume",
    "retry",
    "cancel",
    "note",
    "lang",
    "help",
    "finish",
    "summary",
    "flagged",
    "admin",
    "reviewed",
    "export",
    "start",
    "save",
    "discard",
    "flag",
}
# Hebrew words teachers type for the commands that matter mid-conversation.
ALIASES = {
    "נתח": "analyze",
    "ניתוח": "analyze",
    "תלמידים": "students",
    "המשך": "resume",
    "ביטול": "cancel",
    "בטל": "cancel",
    "סיום": "finish",
    "סיימתי": "finish",
    "עזרה": "help",
    "הערה": "note",
    "שמור": "save",
    "שמירה": "save",
    "analyse": "analyze",
}
# Words that are commands even mid-interview without a slash.
ALWAYS = {"finish", "cancel"}
# ...and words that are commands there only when written alone ("resume" asks again).
ALONE = {"resume"}


@dataclass(frozen=True)
class Parsed:
    """A verb with its argument, or `verb=None` for plain text."""

    verb: str | None
    argument: str
    slashed: bool


def parse(text: str) -> Parsed:
    """Split `text` into a known verb and the rest; unknown first words mean plain text."""
    stripped = text.strip()
    slashed = stripped.startswith("/")
    body = stripped[1:] if slashed else stripped
    head, _, rest = body.partition(" ")
    head = head.split("@", 1)[0].lower()  # Telegram sends /cmd@BotName in groups
    verb = ALIASES.get(head, head)
    if verb in VERBS:
        return Parsed(verb, rest.strip(), slashed)
    return Parsed(None, stripped, slashed)


def from_action(action: str) -> Parsed:
    """A button's action id as a command (`choose:2`, `edit:strengths`, `save`)."""
    verb, _, argument = action.partition(":")
    return Parsed(verb, argument, True)
