"""The vocabulary: every command word the bot understands, in both languages, and its parser.

One table (`COMMANDS`) is read by the parser and by every reply that offers a word (help,
menus, prompts, buttons), so a word the bot offers is a word it understands. What people write
instead of a command word is `bot.everyday`; how a message is read in a state, `bot.reading`;
the sections' words, `bot.section_words`; the words of a summary's or an export's request,
`bot.request_words`; a misspelt command word, `bot.nearest_command`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import UserRole

LANGUAGES = ("he", "en")
# A language as people name it after `lang` ("lang english", "שפה עברית"), and its code.
_LANGUAGE_NAMES = {
    "he": ("he", "hebrew", "heb", "ivrit", "עברית", "עב"),
    "en": ("en", "english", "eng", "אנגלית", "אנגלי"),
}
TEACHER, PRINCIPAL, ADMIN = UserRole.TEACHER, UserRole.PRINCIPAL, UserRole.ADMIN
EVERYONE = frozenset(UserRole)


@dataclass(frozen=True)
class Command:
    """A verb, the words that name it (the first of each language is the one offered), who may
    use it, and whether it is a control word (a command in every state when it stands alone)."""

    verb: str
    en: tuple[str, ...]
    he: tuple[str, ...]
    roles: frozenset[UserRole] = EVERYONE
    control: bool = False
    # Offered in `help` (review actions and `start` are offered where they apply instead).
    listed: bool = True

    def word(self, language: str) -> str:
        """The word offered to a user of `language`."""
        return (self.he if language == "he" else self.en)[0]


# A Hebrew verb asked of a woman (נתחי), or in the future tense as people ask politely (תנתח,
# תנתחי): the same command as its masculine imperative. Not the plural (נתחו, ערכו, שמרו), which
# is also the past tense ("they held a test") and would turn an interview answer into a question,
# nor a form that is also a noun ("ערכי", values of; "סמני", signs of), nor "תמשיך" ("keep
# encouraging her" is advice a teacher writes).
_ASKED: dict[str, tuple[str, ...]] = {
    "נתח": ("נתחי", "תנתח", "תנתחי", "ראיין", "ראייני", "תראיין", "תראייני"),
    "המשך": ("המשיכי",),
    "סכם": ("סכם", "סכמי", "תסכם", "תסכמי"),
    "ייצא": ("ייצא", "ייצאי", "תייצא", "תייצאי"),
    "בטל": ("בטלי", "תבטל", "תבטלי"),
    "שמור": ("שמרי", "תשמור", "תשמרי"),
    "ערוך": ("תערוך", "תערכי"),
    "סמן": ("תסמן", "תסמני"),
    "מחק": ("מחקי", "תמחק", "תמחקי"),
}

COMMANDS: tuple[Command, ...] = (
    Command("analyze", ("analyze", "analyse", "analysis", "interview"),
            ("נתח", "ניתוח", *_ASKED["נתח"]),
            frozenset({TEACHER})),
    Command("students", ("students",), ("תלמידים",), frozenset({TEACHER, PRINCIPAL, ADMIN})),
    Command("history", ("history",), ("היסטוריה",), frozenset({TEACHER, PRINCIPAL, ADMIN})),
    Command("resume", ("resume",), ("המשך", *_ASKED["המשך"]), frozenset({TEACHER})),
    Command("retry", ("retry",), ("שוב",), frozenset({TEACHER})),
    Command("note", ("note",), ("הערה",), frozenset({TEACHER})),
    Command("summary", ("summary", "summarize", "summarise"), ("סיכום", *_ASKED["סכם"]),
            frozenset({PRINCIPAL, ADMIN})),
    Command("flagged", ("flagged",), ("מסומנים",), frozenset({PRINCIPAL, ADMIN})),
    Command("reviewed", ("reviewed",), ("נבדק",), frozenset({PRINCIPAL, ADMIN})),
    Command("export", ("export",), ("ייצוא", *_ASKED["ייצא"])),
    Command("admin", ("admin",), ("ניהול",), frozenset({ADMIN})),
    Command("cancel", ("cancel",), ("ביטול", "בטל", *_ASKED["בטל"]), frozenset({TEACHER}),
            control=True),
    Command("finish", ("finish",), ("סיום", "סיימתי"), frozenset({TEACHER}), control=True),
    Command("lang", ("lang",), ("שפה",), control=True),
    Command("help", ("help",), ("עזרה",), control=True),
    # Review actions: offered by the review menu, understood in any state.
    Command("save", ("save",), ("שמירה", "שמור", *_ASKED["שמור"]), frozenset({TEACHER}),
            listed=False),
    Command("edit", ("edit",), ("עריכה", "ערוך", *_ASKED["ערוך"]), frozenset({TEACHER}),
            listed=False),
    Command("flag", ("flag",), ("סימון", "סמן", *_ASKED["סמן"]), frozenset({TEACHER}),
            listed=False),
    Command("discard", ("discard",), ("מחיקה", "מחק", *_ASKED["מחק"]), frozenset({TEACHER}),
            listed=False),
    Command("start", ("start",), (), listed=False),  # Telegram's first message
)
BY_VERB = {command.verb: command for command in COMMANDS}
WORDS = {word: c.verb for c in COMMANDS for word in (*c.en, *c.he)}
CONTROL = frozenset(c.verb for c in COMMANDS if c.control)


def language_named(text: str) -> str | None:
    """The code of the language `text` names ("en", "English", "אנגלית"), or None."""
    said = text.strip().lower().rstrip(".!")
    return next((code for code, names in _LANGUAGE_NAMES.items() if said in names), None)


def word(language: str, verb: str) -> str:
    """The word offered for `verb` to a user of `language`."""
    return BY_VERB[verb].word(language)


def commands_for(role: UserRole) -> tuple[Command, ...]:
    """The commands `help` lists for `role`."""
    return tuple(c for c in COMMANDS if c.listed and role in c.roles)


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
    if not rest:  # a word alone, as phones write it: "Cancel." or "help?" is the command
        head = head.rstrip(".!?…")
    verb = WORDS.get(head)
    if verb is not None:
        return Parsed(verb, rest.strip(), slashed)
    return Parsed(None, stripped, slashed)


def from_action(action: str) -> Parsed:
    """A button's action id as a command (`choose:2`, `edit:strengths`, `save`)."""
    verb, _, argument = action.partition(":")
    return Parsed(verb, argument, True)


def is_control(parsed: Parsed) -> bool:
    """A control word standing alone (`lang` with a language, `help` with a command word)."""
    if parsed.verb not in CONTROL:
        return False
    if not parsed.argument:
        return True
    if parsed.verb == "lang":
        return language_named(parsed.argument) is not None
    if parsed.verb == "help":
        return parsed.argument.lower().lstrip("/") in WORDS
    return False
