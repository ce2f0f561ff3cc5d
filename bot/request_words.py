"""The words of a summary's or an export's request, in both languages: what it is about (a
scope), when (a named period), what is exported, a grade named in words; `request_in_english`
turns them into the keywords core reads, and `offered` fills a sentence's placeholders for them
(`{s_grade}`, `{p_this-year}`, `{x_analyses}`, and a command's `{w_summary}`)."""

from __future__ import annotations

from bot.commands import word
from bot.phrasing import known
from core.periods import KEYWORDS
from core.scope_words import KINDS

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
