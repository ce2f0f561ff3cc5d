"""An admin's requests in everyday words, both languages: the words `bot.admin_asked` reads
them by (as `bot.everyday` holds those of the dialogue's everyday questions).

Phrases are lower-case, without punctuation, as `bot.admin_asked` compares them (it reads
"what's" as "what is").
"""

from __future__ import annotations

# Words that close a request politely ("..., please", "בבקשה").
POLITE = frozenset("please pls plz thanks thx thank you בבקשה תודה".split())
# "Add", as people ask it: the imperative, asked of a woman, the future, the infinitive.
ADD_VERBS = frozenset(
    """add create register onboard
    הוסף הוסיפי תוסיף תוסיפי להוסיף צור צרי תיצור תיצרי ליצור
    רשום רשמי תרשום תרשמי לרשום""".split()
)
# A role as people name it in such a request, and the word the command is given: English ones
# as the usage writes them, Hebrew ones as `bot.admin_hebrew.HEBREW_ROLES` reads them.
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
# Words around the person's name, address and role that say nothing more ("a new teacher named
# ..., with the email ...", "מורה חדשה בשם ... עם המייל ...").
ADD_FILLERS = POLITE | frozenset(
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
SWITCH_FILLERS = POLITE | frozenset(
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

# Asking who read a student's record (`audit student`, the disclosure log): what the question
# starts with, before what was read and whose ("who looked at Noah's record?").
_SEEN_EN = ("looked at", "looked into", "looked up", "saw", "viewed", "accessed", "opened", "read",
            "checked", "went into")  # fmt: skip
_HAS_SEEN_EN = ("looked at", "looked into", "seen", "viewed", "accessed", "opened", "read",
                "checked", "been into", "been looking at")  # fmt: skip
_SEEN_HE = """צפה צפתה צפו ראה ראתה ראו פתח פתחה פתחו עיין עיינה עיינו הסתכל הסתכלה הסתכלו קרא
    קראה קראו ניגש ניגשה ניגשו נכנס נכנסה נכנסו""".split()
READ_BY: tuple[tuple[str, ...], ...] = tuple(sorted(
    {tuple(f"who {v}".split()) for v in _SEEN_EN}
    | {tuple(f"who {has} {v}".split()) for has in ("has", "have", "had") for v in _HAS_SEEN_EN}
    | {("who", "was", "looking", "at"), ("who's", "seen"), ("whos", "seen")}
    | {("מי", v) for v in _SEEN_HE},
    key=len, reverse=True,
))  # fmt: skip
# What was read: the student's record, file, analyses... ("Noah's record", "התיק של נועה").
RECORD_EN = frozenset(
    """record records file files analyses analysis data information info details
    profile history notes report reports""".split()
)
RECORD_HE = frozenset(
    "תיק ניתוחים ניתוח נתונים מידע פרטים רשומה רשומות היסטוריה הערות דוח דו״ח".split()
)

# The rest of a list just shown (`bot.admin_pages`).
MORE = "more"  # `admin more`, and what every word below is read as
# A request for the rest of a list, said on its own after one ("more", "העמוד הבא"); "המשך" is
# a teacher's `resume`, so it is not among them.
MORE_WORDS = frozenset({
    "more", "show more", "more please", "next", "next page", "older", "older entries",
    "the rest", "show the rest", "עוד", "עוד בבקשה", "הבא", "העמוד הבא", "הצג עוד", "תראה עוד",
    "תראי עוד", "הראה עוד", "ישנים יותר", "את השאר", "השאר",
})  # fmt: skip


def asked_for_more(words: list[str]) -> bool:
    """True when `words` (without punctuation) ask for the rest of a list, and nothing else."""
    return " ".join(w.lower() for w in words) in MORE_WORDS
