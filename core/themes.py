"""An analysis as the reader sees it, in SQL: teacher edits win section by section; themes.

`effective(section)` is `COALESCE(teacher_edits->section, results->section)`, so an edited
section (even an emptied list) replaces the AI's. Themes are strengths or weaknesses phrases
normalised in the database by `ge_theme_key` (migration 0012), kept per analysis item in
`analysis_themes` by a trigger: punctuation turned into spaces, then `ge_fold` (lower case,
niqqud, final letters, accents and quotes removed, spaces trimmed and collapsed), so
"Strong math skills." and "strong  math skills" (or "קְרִיאָה שוטפת" and "קריאה שוטפת!") count
as one. The phrase shown is the most common original wording of each theme. Phrases that say a
section is empty ("No strengths were described yet.", "None") are shown to the reader but are
never themes.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Text,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Analysis

# The builders below take only a section's name: each expression is built once per process and
# shared by every statement (SQLAlchemy expressions are immutable), because building them anew
# for each summary cost more client CPU than the summary's statements took in the server.

# What an analysis says in a list section the teacher said nothing about (the offline analyst
# writes these); a reader sees them, a summary never counts them.
NOTHING_DESCRIBED = {
    "en": {
        "strengths": "No strengths were described yet.",
        "weaknesses": "No difficulties were described yet.",
    },
    "he": {"strengths": "עדיין לא תוארו חוזקות.", "weaknesses": "עדיין לא תוארו קשיים."},
}
# Matched after folding, like themes: "none", "None.", "N/A" and "n.a." are the same.
PLACEHOLDERS = (
    *(phrase for sections in NOTHING_DESCRIBED.values() for phrase in sections.values()),
    "none",
    "n/a",
    "nothing",
    "אין",
    "לא ידוע",
)


@functools.cache
def effective(section: str) -> ColumnElement[Any]:
    """The jsonb value of `section`: the teacher's edit when present, else the AI result."""
    return func.coalesce(Analysis.teacher_edits[section], Analysis.results[section])


@functools.cache
def edited(section: str) -> ColumnElement[bool]:
    """True when the teacher edited `section` (their version is the one shown)."""
    return func.coalesce(Analysis.teacher_edits[section].is_not(None), False)


@functools.cache
def effective_list(section: str) -> ColumnElement[Any]:
    """The effective section as a jsonb array (an empty one when missing or malformed)."""
    value = effective(section)
    return case((func.jsonb_typeof(value) == "array", value), else_=cast(literal("[]"), JSONB))


@functools.cache
def effective_text(section: str) -> ColumnElement[str]:
    """The effective scalar section as text (`learningStyle`): edit, else result."""
    return func.coalesce(Analysis.teacher_edits[section].astext, Analysis.results[section].astext)


def joined(section: str, separator: str = "; ") -> ColumnElement[str]:
    """The effective list section as one string, items in order."""
    items = func.jsonb_array_elements_text(effective_list(section)).table_valued("value")
    return func.coalesce(
        func.array_to_string(func.array(items.select().scalar_subquery()), separator), ""
    )


@functools.cache
def effective_confidence() -> ColumnElement[float]:
    """The effective confidence as a float (NULL unless it is a JSON number)."""
    value = effective("confidence")
    return case((func.jsonb_typeof(value) == "number", cast(value, Float)), else_=None)


def theme_key(phrase: ColumnElement[str]) -> ColumnElement[str]:
    """The normalised form of a phrase that themes are grouped by (0012's `ge_theme_key`)."""
    # The same function keys analysis_themes when an analysis is written, so a phrase read
    # here and a theme counted from that table always agree.
    return func.ge_theme_key(phrase)


# Keys that hold no theme: blank (all punctuation) and the placeholders', as the database folds
# them. Asked once per process (`placeholder_keys`): folded inside every statement instead, ten
# `ge_theme_key` calls per use were evaluated while planning it, four uses in a student's
# summary (about 1 ms of its plan).
_KEYS: dict[str, tuple[str, ...]] = {}
_ASK_KEYS = select(
    func.array(
        select(literal(""))
        .union_all(*(select(theme_key(literal(p))) for p in PLACEHOLDERS))
        .scalar_subquery()
    )
)


async def placeholder_keys(session: AsyncSession) -> tuple[str, ...]:
    """The theme keys that hold no theme, folded by the database (asked once per process)."""
    if "keys" not in _KEYS:
        _KEYS["keys"] = tuple(await session.scalar(_ASK_KEYS) or ())
    return _KEYS["keys"]


def not_a_theme(key: ColumnElement[Any], keys: tuple[str, ...]) -> ColumnElement[bool]:
    """True for a theme key that holds no theme (`keys`: `placeholder_keys`).

    `keys` is the named array parameter `placeholder_keys`: one SQL text for any keys.
    """
    return key == any_(bindparam("placeholder_keys", list(keys), type_=ARRAY(Text)))


@functools.cache
def described(section: str, keys: tuple[str, ...]) -> ColumnElement[int]:
    """How many items of the effective list section say something (placeholders left out)."""
    items = func.jsonb_array_elements_text(effective_list(section)).table_valued("value")
    return (
        select(func.count())
        .select_from(items)
        .where(~not_a_theme(theme_key(items.c.value), keys))
        .scalar_subquery()
    )
