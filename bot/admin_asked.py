"""An admin's requests in everyday words, read as the admin command each stands for: adding an
account ("add a teacher named Ruth Cohen ruth@demo.school", "הוסף מורה רות כהן ..."), and
deactivating or reactivating one by its address ("deactivate teacher2@demo.school", "השבת את
..."), and what the analyses cost in a month ("how much did we spend this month?", "כמה הוצאנו
החודש?").

`bot.asked_for.admin_asked` asks here for admins only, and what comes back is handled as an
admin command typed without `admin` (`bot.admin_commands.handle`): one that changes data is
offered first with a button, never run unasked; one that only reads runs.
"""

from __future__ import annotations

import re

from bot.admin_grammar import CURLY, INVISIBLE
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

# "Add", as people ask it: the imperative, asked of a woman, the future, the infinitive.
ADD_VERBS = frozenset(
    """add create register onboard
    הוסף הוסיפי תוסיף תוסיפי להוסיף צור צרי תיצור תיצרי ליצור
    רשום רשמי תרשום תרשמי לרשום""".split()
)
# A role as people name it in such a request, and the word the command is given: English ones
# as the usage writes them, Hebrew ones as `bot.admin_grammar.HEBREW_ROLES` reads them.
ROLE_WORDS: dict[tuple[str, ...], str] = {
    ("teacher",): "TEACHER",
    **dict.fromkeys((("principal",), ("headteacher",), ("head", "teacher"), ("headmaster",),
                     ("headmistress",), ("school", "principal")), "PRINCIPAL"),
    **dict.fromkeys((("admin",), ("administrator",), ("system", "admin"),
                     ("system", "administrator")), "ADMIN"),
    ("מורה",): "מורה", ("מנהל",): "מנהל", ("מנהלת",): "מנהלת", ("מנהל/ת",): "מנהל/ת",
    ("מנהל", "בית", "ספר"): "מנהל", ("מנהלת", "בית", "ספר"): "מנהלת",
    ("מנהל", "בית", "הספר"): "מנהל", ("מנהלת", "בית", "הספר"): "מנהלת",
    ("אדמין",): "אדמין", ("מנהל", "מערכת"): "מנהל-מערכת", ("מנהלת", "מערכת"): "מנהלת-מערכת",
}  # fmt: skip
_ROLES_LONGEST_FIRST = sorted(ROLE_WORDS, key=len, reverse=True)
# Hebrew glues "as" or "the" to the role ("כמורה", "המורה").
_ROLE_PREFIXES = ("כ", "ה")
# Words around the person's name, address and role that say nothing more ("a new teacher named
# ..., with the email ...", "מורה חדשה בשם ... עם המייל ...").
ADD_FILLERS = frozenset(
    """a an new the named called name is with email e-mail mail address as
    user account staff member whose their his her and to in at for of school
    חדש חדשה בשם ששמו ששמה שם עם מייל המייל אימייל האימייל דוא"ל דוא״ל כתובת בכתובת בתור משתמש
    משתמשת חשבון את של ו לבית בבית בית ספר הספר לצוות""".split()
)

# Switching an account off or on again, as people ask it, and the command's action.
SWITCH_VERBS = {
    **dict.fromkeys("""deactivate disable suspend
        השבת השביתי תשבית תשביתי להשבית""".split(), "deactivate"),
    **dict.fromkeys("""reactivate re-activate activate re-enable reenable enable unsuspend
        הפעל הפעילי תפעיל תפעילי להפעיל""".split(), "reactivate"),
}  # fmt: skip
# Words around the address there that say nothing more ("the account of", "את המשתמש").
SWITCH_FILLERS = frozenset(
    """the user account of for teacher principal admin staff member his
    her their access login again back now with email address
    את המשתמש המשתמשת החשבון של המורה המנהל המנהלת מחדש עכשיו הגישה גישה ל עם המייל
    כתובת""".split()
)

# Asking what the analyses cost (`usage`: analyses, tokens and estimated cost of a month), as
# the question starts ("what's" is read as "what is"); a period may follow.
SPENDING: tuple[tuple[str, ...], ...] = tuple(sorted((tuple(p.split()) for p in (
    "how much did we spend", "how much have we spent", "how much are we spending",
    "how much do we spend", "how much money did we spend", "how much money have we spent",
    "how much did we pay", "how much have we paid", "how much do we pay", "how much are we paying",
    "how much did it cost", "how much does it cost", "how much has it cost",
    "how much is it costing", "how much did it cost us", "how much does it cost us",
    "how much did the ai cost", "how much does the ai cost", "how much did the bot cost",
    "how much does the bot cost", "how much did the analyses cost",
    "how much do the analyses cost", "what did we spend", "what have we spent",
    "what are we spending", "what did it cost", "what does it cost", "what is the cost",
    "what are the costs", "what is our spend", "what is our spending", "what is the bill",
    "how much did we use", "how much have we used", "what is our usage", "what is the usage",
    "כמה הוצאנו", "כמה כסף הוצאנו", "כמה אנחנו מוציאים", "כמה זה עולה", "כמה זה עלה",
    "כמה זה עולה לנו", "כמה זה עלה לנו", "כמה עלה לנו", "כמה עולה לנו", "כמה שילמנו",
    "כמה אנחנו משלמים", "כמה עלו הניתוחים", "כמה עולים הניתוחים", "מה העלות", "מה העלויות",
    "מה ההוצאות", "מה ההוצאה", "כמה השתמשנו", "מה השימוש",
)), key=len, reverse=True))  # fmt: skip
# Words after such a question that do not change it ("so far", "on the AI", "עד עכשיו").
SPENDING_EXTRA = frozenset(
    """so far until now up to in total overall altogether all on the ai
    bot model for during עד עכשיו כה כאן בסך הכל הכול סה"כ סה״כ בסה"כ בסה״כ על הבוט בוט הבינה
    בינה המלאכותית מלאכותית""".split()
)
_MONTH = re.compile(r"\d{4}-\d{2}")


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


def admin_in_words(text: str, words: list[str]) -> str | None:
    """The admin command (without `admin`) an admin's sentence asks for, or None; `words` are
    the sentence's words without punctuation, "what's" read as "what is"."""
    return account_added(text) or account_switched(text) or spending_asked(words)
