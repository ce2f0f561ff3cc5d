"""Student name search in SQL: folded text, trigram index, exact > prefix > fuzzy ranking.

What matches and what does not is documented in docs/names.md (linked from the README).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Text,
    any_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.models import Student
from core.ordering import hebrew_order
from core.policy import actor_values, placeholder_actor, visible_students
from core.transliteration import across_scripts

# Below this a single typo changes too much of a name to be a safe guess.
FUZZY_MIN_LENGTH = 5
# PostgreSQL's levenshtein() raises past 255 characters: a pasted paragraph crashed the turn.
# No name is that long, so such a query is matched exactly or by prefix only.
FUZZY_MAX_LENGTH = 255
# Two swapped letters keep every letter of the name, so four letters are enough to guess from.
TRANSPOSE_MIN_LENGTH = 4
# Longer queries are whole names, which the trigram path already forgives a swap in.
TRANSPOSE_MAX_LENGTH = 40
# pg_trgm word similarity that a one-letter typo in a five-letter word still reaches (0.5).
WORD_SIMILARITY = 0.4


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def fold(session: AsyncSession, query: str) -> str:
    """Fold the query with the database's own `ge_fold`; sets the fuzzy threshold for the txn.

    Folding in a separate round trip gives the planner a constant pattern, which is what lets
    it use the trigram index. The search runs as a prepared statement, so custom plans are
    forced for the transaction: after five runs PostgreSQL may otherwise settle on a generic
    plan that cannot see the pattern and scans a whole school (40+ ms instead of ~1 ms).
    """
    row = await session.execute(
        text(
            "SELECT public.ge_fold(:q), "
            "set_config('pg_trgm.word_similarity_threshold', :threshold, true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"
        ),
        {"q": query, "threshold": str(WORD_SIMILARITY)},
    )
    return row.scalar_one() or ""


def swaps(folded: str) -> list[str]:
    """Every spelling of `folded` with two adjacent letters swapped (the commonest typo).

    The search compares them with the stored folded first and last names (btree indexes), since
    a swap breaks two or three of a short name's trigrams and the trigram filter would miss it.
    """
    if not TRANSPOSE_MIN_LENGTH <= len(folded) <= TRANSPOSE_MAX_LENGTH:
        return []
    found = []
    for i in range(len(folded) - 1):
        a, b = folded[i], folded[i + 1]
        if a != b and " " not in (a, b):
            found.append(folded[:i] + b + a + folded[i + 2 :])
    return found


def _statement(
    folded: Any,
    raw: Any,
    patterns: tuple[Any, Any, Any],
    visible: ColumnElement[bool],
    limit: Any,
    *,
    fuzzy: bool,
    swapped: Any = None,
) -> Select[Student, int]:
    starts, word_starts, contains_pattern = patterns
    first = Student.first_fold
    last = Student.last_fold
    first_last = Student.first_fold + " " + Student.last_fold
    last_first = Student.last_fold + " " + Student.first_fold
    exact = or_(
        first == folded,
        last == folded,
        first_last == folded,
        last_first == folded,
        Student.student_id == raw,
    )
    prefix = or_(
        Student.search_text.like(starts, escape="\\"),
        Student.search_text.like(word_starts, escape="\\"),
    )
    contains = Student.search_text.like(contains_pattern, escape="\\")
    matches = [Student.student_id == raw, contains]
    if swapped is not None:
        matches += [first == any_(swapped), last == any_(swapped)]
    if fuzzy:
        # ge_one_edit (migration 0008): Levenshtein distance 1, or one adjacent swap (Damerau).
        one_typo = or_(
            *[
                (func.length(name) >= FUZZY_MIN_LENGTH) & func.ge_one_edit(name, folded)
                for name in (first, last, first_last, last_first)
            ]
        )
        matches.append(Student.search_text.bool_op("%>")(folded) & one_typo)
    rank = case((exact, 0), (prefix, 1), else_=2)
    return (
        select(Student, rank.label("rank"))
        .where(visible, or_(*matches))
        .order_by(rank, *hebrew_order(Student))
        .limit(limit)
    )


def _patterns(folded: str) -> tuple[str, str, str]:
    escaped = _like_escape(folded)
    return escaped + "%", "% " + escaped + "%", "%" + escaped + "%"


def search_statement(
    folded: str, raw: str, visible: ColumnElement[bool], limit: int
) -> Select[Student, int]:
    """Students matching `folded` (or whose school id equals `raw`), best first, at most `limit`."""
    variants = swaps(folded)
    starts, word_starts, contains = _patterns(folded)
    return _statement(
        literal(folded),
        literal(raw),
        (literal(starts), literal(word_starts), literal(contains)),
        visible,
        limit,
        fuzzy=FUZZY_MIN_LENGTH <= len(folded) <= FUZZY_MAX_LENGTH,
        swapped=literal(variants, ARRAY(Text)) if variants else None,
    )


# Building the statement costs more than running it (about 2 ms of Python), so one template
# per role and fuzziness is built once, with the actor's ids and the query as parameters.
_TEMPLATES: dict[tuple[str, bool, bool], Select[Student, int]] = {}


def search_for(
    actor: Actor, folded: str, raw: str, limit: int
) -> tuple[Select[Student, int], dict[str, Any]]:
    """The cached search statement for this actor's role, and its parameters."""
    fuzzy = FUZZY_MIN_LENGTH <= len(folded) <= FUZZY_MAX_LENGTH
    variants = swaps(folded)
    key = (str(actor.role), fuzzy, bool(variants))
    template = _TEMPLATES.get(key)
    if template is None:
        placeholder = placeholder_actor(actor)
        patterns: tuple[Any, Any, Any] = (
            bindparam("starts"),
            bindparam("word_starts"),
            bindparam("contains"),
        )
        template = _statement(
            bindparam("folded"),
            bindparam("raw"),
            patterns,
            visible_students(placeholder),
            bindparam("limit"),
            fuzzy=fuzzy,
            swapped=bindparam("swaps", type_=ARRAY(Text)) if variants else None,
        )
        _TEMPLATES[key] = template
    starts, word_starts, contains = _patterns(folded)
    params = {
        "folded": folded,
        "raw": raw,
        "starts": starts,
        "word_starts": word_starts,
        "contains": contains,
        "limit": limit,
        **actor_values(actor),
    }
    if variants:
        params["swaps"] = variants
    return template, params


def across_scripts_statement(
    folded: str, visible: ColumnElement[bool], limit: int
) -> Select[Student] | None:
    """Students whose whole name, in the other script, `folded` may transliterate (`נוח` for
    Noah Williams), or None when it cannot be read so; tried only when nothing matched as typed.

    A regular expression per visible row (the school's students for a principal): no index
    serves it, which is why it waits for the typed query to have found nobody. Names are
    compared without their spaces (a hyphen folds to one), and a query of several words may
    be one of them alone: `Ben Zion` is the first name בן-ציון.
    """
    pattern = across_scripts(folded)
    if pattern is None:
        return None
    first, last = (
        func.replace(name, " ", "", type_=Text) for name in (Student.first_fold, Student.last_fold)
    )
    names = (first, last) if " " not in folded else (first, last, first + last, last + first)
    return (
        select(Student)
        .where(visible, or_(*[name.regexp_match(pattern) for name in names]))
        .order_by(*hebrew_order(Student))
        .limit(limit)
    )
