"""A total name order: UCA levels (letters, then marks, then case and final forms), then the names.

`ge_sort_key(last_name, first_name)` becomes ICU's Hebrew collation (CLDR `he`: Hebrew before
Latin; spaces, hyphens, apostrophes and geresh ignorable, as with alternate=shifted) built from
plain string functions, so Debian's (ICU) and the embedded (non-ICU) builds agree byte for byte.
Its levels are merged like ICU's `ucol_mergeSortkeys`, last name and first name at each level:

    letters(last) 02 letters(first) 01 marks(last) 02 marks(first) 01
    case/final(last) 02 case/final(first) 01 last_name 02 first_name

so `דוד` (unmarked) sorts before `דָּוִד`, which sorts before `דָּוִד` with other niqqud, and two
names equal at every level still differ in their exact spelling: the order is total and never
depends on a random id. The stored `sort_key` columns are dropped and added again, which
recomputes them (PostgreSQL 15 has no ALTER COLUMN ... SET EXPRESSION).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Combining marks in ascending secondary weight under ICU 72's `he` collation (marks in one
# string share a weight); tests/unit/test_name_order_weights.py recomputes this from ICU.
SECONDARY_GROUPS = (
    "\u0332",
    "\u0313\u0343",
    "\u0314",
    "\u0301\u0341",
    "\u0300\u0340",
    "\u0306",
    "\u0302",
    "\u030c",
    "\u030a",
    "\u0342",
    "\u0308",
    "\u030b",
    "\u0303",
    "\u0307",
    "\u0338",
    "\u0327",
    "\u0328",
    "\u0304",
    "\u030d\u030e\u0312\u0315\u031a\u033d\u033e\u033f\u0346\u034a\u034b\u034c\u0350\u0351"
    "\u0352\u0357\u035b\u035d\u035e",
    "\u0316\u0317\u0318\u0319\u031c\u031d\u031e\u031f\u0320\u0329\u032a\u032b\u032c\u032f"
    "\u0333\u033a\u033b\u033c\u0347\u0348\u0349\u034d\u034e\u0353\u0354\u0355\u0356\u0359"
    "\u035a\u035c\u035f\u0362",
    "\u0336\u0337",
    "\u0335",
    "\u0305",
    "\u0309",
    "\u030f",
    "\u0310",
    "\u0311",
    "\u031b",
    "\u0321",
    "\u0322",
    "\u0323",
    "\u0324",
    "\u0325",
    "\u0326",
    "\u032d",
    "\u032e",
    "\u0330",
    "\u0331",
    "\u0334",
    "\u0339",
    "\u0345",
    "\u0358",
    "\u0360",
    "\u0361",
    "\u05b0",
    "\u05b1",
    "\u05b2",
    "\u05b3",
    "\u05b4",
    "\u05b5",
    "\u05b6",
    "\u05b7",
    "\u05b8\u05c7",
    "\u05b9\u05ba",
    "\u05bb",
    "\u05c2",
    "\u05c1",
    "\u05bc",
    "\u05bf",
)
# Marks ICU ignores at every level: cantillation, meteg, upper and lower dots, grapheme joiner.
IGNORED_MARKS = "\u034f" + "".join(chr(c) for c in range(0x0591, 0x05B0)) + "\u05bd\u05c4\u05c5"
# Each weight becomes one private-use character, in weight order; every other character of a
# name (a letter or digit) becomes "0", below all of them, as a base letter's common weight is.
WEIGHT_BASE = 0xE100
_MARKS = "".join(SECONDARY_GROUPS)
_WEIGHTS = "".join(chr(WEIGHT_BASE + rank) for rank, g in enumerate(SECONDARY_GROUPS) for _ in g)
# What alternate=shifted makes ignorable in names: spaces, hyphens and dashes (maqaf too),
# apostrophes, quotes, geresh and gershayim, common punctuation, direction marks.
IGNORABLE = (
    r"[\s\u00A0\-\u2010-\u2015\u05BE'`\u00B4\u2018\u2019\u201C\u201D\"\u05F3\u05F4"
    r".,;:!?()\[\]{}/\\_\u00B7\u05C0\u05C3\u05C6\u200E\u200F]"
)
# As the body of a quoted SQL literal.
_IGNORABLE_SQL = IGNORABLE.replace("'", "''")
_IGNORABLE_OR_MARKS_SQL = _IGNORABLE_SQL[:-1] + r"\u0300-\u036F]"
HEBREW = "אבגדהוזחטיכלמנסעפצקרשת"
# Hebrew letters move below Latin ("A".."V" are free: `ge_fold` lower-cases Latin), so byte
# order puts Hebrew, then Latin, then Greek, Cyrillic, Arabic... as CLDR's `he` reorders.
HEBREW_BELOW_LATIN = "ABCDEFGHIJKLMNOPQRSTUV"

LETTERS_SQL = f"""
CREATE FUNCTION public.ge_name_letters(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT translate(
    regexp_replace(public.ge_fold(value), '{_IGNORABLE_OR_MARKS_SQL}', '', 'g'),
    '{HEBREW}', '{HEBREW_BELOW_LATIN}')
$$
"""

MARKS_SQL = f"""
CREATE FUNCTION public.ge_name_marks(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(
    translate(regexp_replace(normalize(value, NFD), '{_IGNORABLE_SQL}', '', 'g'),
              '{_MARKS}{IGNORED_MARKS}', '{_WEIGHTS}'),
    '[^{chr(WEIGHT_BASE)}-{chr(WEIGHT_BASE + 0xFF)}]', '0', 'g')
$$
"""

# ICU's third level: a lower-case or plain letter, then a final form, then an upper-case one.
_FINALS = "ךםןףץ"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CASES_SQL = f"""
CREATE FUNCTION public.ge_name_cases(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(
    translate(
      regexp_replace(normalize(value, NFD), '{_IGNORABLE_OR_MARKS_SQL[:-1]}\\u0591-\\u05C7]',
                     '', 'g'),
      '{_FINALS}{_UPPER}', '{"2" * len(_FINALS)}{"3" * len(_UPPER)}'),
    '[^23]', '1', 'g')
$$
"""

SORT_KEY_SQL = """
CREATE OR REPLACE FUNCTION public.ge_sort_key(last_name text, first_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT public.ge_name_letters(l) || chr(2) || public.ge_name_letters(f) || chr(1)
      || public.ge_name_marks(l) || chr(2) || public.ge_name_marks(f) || chr(1)
      || public.ge_name_cases(l) || chr(2) || public.ge_name_cases(f) || chr(1)
      || l || chr(2) || f
  FROM (SELECT normalize(coalesce(last_name, ''), NFC) AS l,
               normalize(coalesce(first_name, ''), NFC) AS f) AS name
$$
"""

# Migration 0001's definition, restored by the downgrade.
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_LATIN_ABOVE_HEBREW = "".join(chr(0xE061 + i) for i in range(26))
OLD_SORT_KEY_SQL = f"""
CREATE OR REPLACE FUNCTION public.ge_sort_key(last_name text, first_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT translate(
    public.ge_fold(coalesce(last_name, '') || ' ' || coalesce(first_name, '')),
    '{_LATIN}', '{_LATIN_ABOVE_HEBREW}')
$$
"""

# Search's typo rule: Levenshtein distance at most 1, or one swap of two adjacent letters
# (optimal string alignment distance 1, "Damerau"); fuzzystrmatch has no Damerau distance.
ONE_EDIT_SQL = """
CREATE FUNCTION public.ge_one_edit(a text, b text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  n integer := length(a);
  i integer := 1;
BEGIN
  IF public.levenshtein_less_equal(a, b, 1) <= 1 THEN
    RETURN true;
  END IF;
  IF n <> length(b) THEN
    RETURN false;
  END IF;
  -- Equal lengths: one swap iff the first difference is two letters crossed, and no other.
  WHILE i < n AND substr(a, i, 1) = substr(b, i, 1) LOOP
    i := i + 1;
  END LOOP;
  RETURN i < n
    AND substr(a, i, 1) = substr(b, i + 1, 1)
    AND substr(a, i + 1, 1) = substr(b, i, 1)
    AND substr(a, i + 2) = substr(b, i + 2);
END
$$
"""

TABLES = ("students", "users")
FUNCTIONS = (
    "ge_name_letters(text)",
    "ge_name_marks(text)",
    "ge_name_cases(text)",
    "ge_one_edit(text, text)",
)
# Search compares a query's adjacent-letter swaps with the folded names, within a school.
FOLD_INDEXES = {"idx_students_first_fold": "first_fold", "idx_students_last_fold": "last_fold"}


def _recompute_sort_keys() -> None:
    """Drop and re-add the stored columns: the only way to recompute a generated column here."""
    for table in TABLES:
        op.drop_index(f"ix_{table}_school_sort_key", table_name=table)
        op.drop_column(table, "sort_key")
        op.add_column(
            table,
            sa.Column(
                "sort_key",
                sa.Text(collation="C"),
                sa.Computed("ge_sort_key(last_name, first_name)", persisted=True),
                nullable=False,
            ),
        )
        op.create_index(f"ix_{table}_school_sort_key", table, ["school_id", "sort_key"])


def upgrade() -> None:
    for sql in (LETTERS_SQL, MARKS_SQL, CASES_SQL, SORT_KEY_SQL, ONE_EDIT_SQL):
        op.execute(sql)
    _recompute_sort_keys()
    for name, column in FOLD_INDEXES.items():
        op.create_index(name, "students", ["school_id", column])


def downgrade() -> None:
    for name in FOLD_INDEXES:
        op.drop_index(name, table_name="students")
    op.execute(OLD_SORT_KEY_SQL)
    _recompute_sort_keys()
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
