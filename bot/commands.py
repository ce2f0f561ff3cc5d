"""The vocabulary: every command word the bot understands, in both languages, and its parser.

One table (`COMMANDS`) is read by the parser and by every reply that offers a word (help,
menus, prompts, buttons), so a word the bot offers is a word it understands. What people write
instead of a command word is `bot.everyday`; how a message is read in a state, `bot.reading`;
the sections' words, `bot.section_words`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.phrasing import known
from core.models import UserRole
from core.periods import KEYWORDS
from core.scope_words import KINDS

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
# What a summary or an export is about, and the named periods. Core reads the English keyword;
# `request_in_english` turns a Hebrew word into it, and replies offer the first word of each.
SCOPE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    # Two words as people type them, too ("בית ספר"): request_in_english reads phrases.
    "school": {"en": ("school",), "he": ("בית-ספר", "ביה״ס", 'ביה"ס', "בית ספר", "בית הספר")},
    "district": {"en": ("district",), "he": ("מחוז",)},
    "grade": {"en": ("grade",), "he": ("שכבה",)},
    "class": {"en": ("class",), "he": ("כיתה",)},
    "teacher": {"en": ("teacher",), "he": ("מורה",)},
    "student": {"en": ("student",), "he": ("תלמיד", "תלמידה")},
}
assert tuple(SCOPE_WORDS) == KINDS
PERIOD_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "this-week": {
        "en": ("this-week", "this week", "for this week"),
        "he": ("השבוע", "השבוע הזה", "בשבוע הזה", "לשבוע הזה", "השבוע הנוכחי"),
    },
    "this-month": {
        "en": ("this-month", "this month", "for this month"),
        "he": ("החודש", "החודש הזה", "לחודש הזה", "בחודש הזה", "החודש הנוכחי"),
    },
    "this-term": {
        "en": ("this-term", "this term", "this semester", "for this term"),
        "he": ("המחצית", "הסמסטר", "המחצית הזו", "במחצית הזו", "הסמסטר הזה", "בסמסטר הזה"),
    },
    "this-year": {
        "en": ("this-year", "this year", "for this year", "this school year"),
        "he": ("השנה", "השנה הזו", "השנה הזאת", "לשנה הזו", "לשנה הזאת", "בשנה הזו",
               "השנה הנוכחית", "שנת הלימודים", "בשנת הלימודים"),
    },
    "last-week": {
        "en": ("last-week", "last week", "for last week", "previous week", "past week"),
        "he": ("השבוע שעבר", "בשבוע שעבר", "שבוע שעבר", "לשבוע שעבר", "השבוע הקודם",
               "בשבוע הקודם"),
    },
    "last-month": {
        "en": ("last-month", "last month", "for last month", "previous month"),
        "he": ("החודש שעבר", "בחודש שעבר", "חודש שעבר", "לחודש שעבר", "החודש הקודם",
               "בחודש הקודם"),
    },
    "last-term": {
        "en": ("last-term", "last term", "last semester", "for last term", "previous term"),
        "he": ("המחצית הקודמת", "במחצית הקודמת", "המחצית שעברה", "במחצית שעברה",
               "הסמסטר הקודם", "בסמסטר הקודם", "הסמסטר שעבר", "בסמסטר שעבר"),
    },
    "last-year": {
        "en": ("last-year", "last year", "for last year", "last school year", "previous year"),
        "he": ("השנה שעברה", "בשנה שעברה", "שנה שעברה", "לשנה שעברה", "השנה הקודמת",
               "בשנה הקודמת", "שנת הלימודים הקודמת", "בשנת הלימודים הקודמת"),
    },
}
# Words people put before what they want summarised ("summary of the school", "סיכום של שכבה ה",
# "סכמי את בית הספר").
FILLER = frozenset({"of", "for", "the", "של", "על", "את"})
# A grade named in words ("grade five", "fifth grade", "שכבה חמישית") is its number.
_ORDINALS_EN = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
                "twelfth").split()  # fmt: skip
_NUMBERS_EN = "one two three four five six seven eight nine ten eleven twelve".split()
_ORDINALS_HE = "ראשונה שנייה שלישית רביעית חמישית שישית שביעית שמינית תשיעית עשירית".split()
GRADE_WORDS = {
    w: str(n) for words in (_ORDINALS_EN, _NUMBERS_EN, _ORDINALS_HE) for n, w in enumerate(words, 1)
} | {"שניה": "2", "ששית": "6"}
assert tuple(PERIOD_WORDS) == KEYWORDS
# `{s_KIND}` and `{p_PERIOD}` in a sentence are filled with these words, as `{w_VERB}` with verbs.
_SCOPE_BY_WORD = {w: kind for kind, ws in SCOPE_WORDS.items() for w in (*ws["en"], *ws["he"])}
_PERIOD_BY_WORD = {w: p for p, ws in PERIOD_WORDS.items() for w in (*ws["en"], *ws["he"])}
# What `export` exports (the only thing so far).
EXPORT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "analyses": {"en": ("analyses",), "he": ("ניתוחים",)},
}
# Placeholders a sentence may use for an offered word: `{w_summary}`, `{s_grade}`,
# `{p_this-year}`, `{x_analyses}`; each is filled from its table in the reader's language.
OFFERED = {"w_": None, "s_": SCOPE_WORDS, "p_": PERIOD_WORDS, "x_": EXPORT_WORDS}


def language_named(text: str) -> str | None:
    """The code of the language `text` names ("en", "English", "אנגלית"), or None."""
    said = text.strip().lower().rstrip(".!")
    return next((code for code, names in _LANGUAGE_NAMES.items() if said in names), None)


def word(language: str, verb: str) -> str:
    """The word offered for `verb` to a user of `language`."""
    return BY_VERB[verb].word(language)


def offered(language: str, placeholder: str) -> str | None:
    """The word a `{w_VERB}`-style placeholder stands for, or None for an ordinary value."""
    prefix, name = placeholder[:2], placeholder[2:]
    if prefix not in OFFERED:
        return None
    table = OFFERED[prefix]
    if table is None:
        return word(language, name)
    return table[name]["he" if language == "he" else "en"][0]


def in_export_words(text: str) -> bool:
    """True when `text` names what `export` exports, in either language."""
    folded = text.strip().lower()
    words = {word for w in EXPORT_WORDS.values() for word in (*w["en"], *w["he"])}
    return known(folded, words) is not None  # "ניתוחים", or with the article, "הניתוחים"


def request_in_english(argument: str) -> str:
    """`[KIND [VALUE]] [PERIOD]` as people write it (Hebrew words, "of the school", "this month",
    "grade five") in the keywords core reads."""
    words = argument.split()
    while words and words[0].lower() in FILLER:
        words.pop(0)
    # The longest period phrase the request ends with ("this month" before "month").
    for phrase in sorted(_PERIOD_BY_WORD, key=lambda w: -len(w.split())):
        size = len(phrase.split())
        if len(words) >= size and [w.lower() for w in words[-size:]] == phrase.split():
            words = [*words[:-size], _PERIOD_BY_WORD[phrase]]
            break
    if len(words) >= 2 and words[0].lower() in GRADE_WORDS and words[1].lower() in ("grade",):
        words[:2] = words[1::-1]  # "fifth grade" as "grade fifth"
    if words:  # with the Hebrew article too: "המורה", "השכבה", "הכיתה"
        words[0] = known(words[0], _SCOPE_BY_WORD) or words[0]
    # The longest scope phrase the request starts with ("בית ספר" before a one-word kind).
    for phrase in sorted(_SCOPE_BY_WORD, key=lambda w: -len(w.split())):
        size = len(phrase.split())
        if [w.lower() for w in words[:size]] == phrase.split():
            kind, rest = _SCOPE_BY_WORD[phrase], words[size:]
            if kind == "grade" and rest:  # "חמישית", or with the article, "החמישית"
                rest[0] = GRADE_WORDS.get(known(rest[0], GRADE_WORDS) or "", rest[0])
            return " ".join([kind, *rest])
    return " ".join(words)


def commands_for(role: UserRole) -> tuple[Command, ...]:
    """The commands `help` lists for `role`."""
    return tuple(c for c in COMMANDS if c.listed and role in c.roles)


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
