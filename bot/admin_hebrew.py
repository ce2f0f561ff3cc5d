"""The Hebrew words of the `admin` grammar: the areas as the Hebrew help names them, the
actions after them and the roles, each read as the English word the command table has (the
usage lines show the English ones, and both work)."""

from __future__ import annotations

# The areas as the Hebrew help names them ("משתמשים, בתי ספר, ...").
HEBREW_AREAS = {"משתמשים": "users", "משתמש": "user", "בתי ספר": "schools", "בית ספר": "school",
                "רשימות": "rosters", "רשימה": "roster", "מכסות": "quotas", "מכסה": "quota",
                "שימוש": "usage", "ביקורת": "audit", "שמירת נתונים": "retention",
                "מחוז": "district", "מחוזות": "districts", "הזמנה": "invite",
                "רשומה": "record", "יומן": "audit", "יומן ביקורת": "audit",
                "יומן פעולות": "audit", "יומן גילוי": "audit", "יומן הגילוי": "audit"}  # fmt: skip

# An area's action as a Hebrew-speaking admin says it ("ניהול משתמש הוסף", "ניהול ביקורת
# תלמיד נועה"): read as the command's word, only right after an area that has actions.
HEBREW_ACTIONS = {
    **dict.fromkeys("הוסף הוספה הוסיפי הוסיפו תוסיף תוסיפי".split(), "add"),
    **dict.fromkeys("רשימה רשימת הצג הצגה הציגי".split(), "list"),
    **dict.fromkeys("תפקיד שינוי-תפקיד".split(), "role"),
    **dict.fromkeys("השבת השבתה השביתי חסום חסימה חסמי".split(), "deactivate"),
    **dict.fromkeys("הפעל הפעלה הפעילי הפעל-מחדש הפעלה-מחדש".split(), "reactivate"),
    **dict.fromkeys("ייבוא ייבא יבוא יבא ייבאי".split(), "import"),
    **dict.fromkeys("תלמיד תלמידה תלמיד/ה".split(), "student"),
    **dict.fromkeys("משתמש משתמשת משתמש/ת".split(), "user"),
    **dict.fromkeys("מאז מתאריך מיום".split(), "since"),
}
_WITH_ACTIONS = frozenset({"user", "users", "school", "schools", "district", "districts",
                           "roster", "rosters", "audit"})  # fmt: skip


# A role as a Hebrew-speaking admin names it ("מורה", "מנהלת"), and the role core reads.
HEBREW_ROLES = {"מורה": "TEACHER", "מנהל": "PRINCIPAL", "מנהלת": "PRINCIPAL",
                "מנהל/ת": "PRINCIPAL", "אדמין": "ADMIN", "מנהל-מערכת": "ADMIN",
                "מנהלת-מערכת": "ADMIN", "מנהל/ת-מערכת": "ADMIN"}  # fmt: skip


def area_in_english(words: list[str]) -> list[str]:
    """`words` with a leading Hebrew area (the longest phrase) as its English word, and a
    Hebrew action after an area (Hebrew or English) as the action's English word."""
    head, rest = words[:1], words[1:]
    for phrase in sorted(HEBREW_AREAS, key=lambda p: -len(p.split())):
        size = len(phrase.split())
        if words[:size] == phrase.split():
            head, rest = [HEBREW_AREAS[phrase]], words[size:]
            break
    if head and head[0].lower() in _WITH_ACTIONS and rest and rest[0] in HEBREW_ACTIONS:
        rest = [HEBREW_ACTIONS[rest[0]], *rest[1:]]
    return [*head, *rest]
