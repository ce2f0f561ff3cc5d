"""Names the roster and summary benches seed students and teachers with, and typo letters."""

from __future__ import annotations

# Small lists combined: niqqud, final letters, hyphens, apostrophes, accents, two scripts.
FIRST_NAMES = (
    "נועה", "יוסף", "מִרְיָם", "אברהם", "שירה", "בן-ציון", "אֵלִיָּהוּ", "יעל", "תמר", "איתן",
    "אורי", "מאיה", "עומר", "רוּת", "שָׁלוֹם", "דניאל", "אריאל", "הדס", "ליאור", "חנה",
    "משה", "רבקה", "יהונתן", "נחום", "עדן", "זיו", "קרן", "ניר", "אלון", "נעמי",
    "David", "Liam", "Emma", "Noah", "Olivia", "José", "Sarah", "Ethan", "Chloé", "Lucas",
)  # fmt: skip
LAST_NAMES = (
    "כהן", "לוי", "מזרחי", "פרץ", "ביטון", "דהן", "אברהם", "פרידמן", "אזולאי", "מלכה",
    "חדד", "גבאי", "בן-דוד", "שמעון", "אוחיון", "יוסף", "עמר", "כץ", "ברק", "רוזן",
    "צור", "הלפרן", "שלום", "נחום", "טל", "אֶלְבָּז", "בן-חיים", "קליין", "וייס", "אשכנזי",
    "גולדשטיין", "רבינוביץ", "שפירא", "חביב", "זילברמן", "נאמן", "בירנבאום", "אלמוג", "סגל",
    "Smith", "O'Brien", "Johnson", "Williams", "García", "Martin", "D'Angelo", "Goldberg",
    "Levy-Cohen", "Brown", "Davis",
)  # fmt: skip
# The letters a typo may put in place of another, by script.
HEBREW_LETTERS = "אבגדהוזחטיכלמנסעפצקרשת"
LATIN_LETTERS = "abcdefghijklmnoprstuvwyz"


def sql_array(values: tuple[str, ...]) -> str:
    """`values` as a SQL text[] literal, quotes doubled."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"
