"""The teacher or the student a scope names, found among those the actor may see.

A teacher by email, by full name in either order, by one name alone, or by a name typed in the
other script; a student by school number, else by the best-ranked name match (core/search.py).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Text, func, select

from core.actor import Actor
from core.errors import InvalidInput
from core.models import Student, User, UserRole
from core.policy import visible_students, visible_users
from core.search import across_scripts_statement, fold, search_statement
from core.transliteration import across_scripts
from core.uow import UnitOfWork

MAX_CANDIDATES = 5


async def _teachers(uow: UnitOfWork, actor: Actor, named: ColumnElement[bool]) -> list[User]:
    statement = (
        select(User)
        .where(named, User.role == UserRole.TEACHER, visible_users(actor))
        .order_by(User.email)
        .limit(MAX_CANDIDATES)
    )
    return list((await uow.session.scalars(statement)).all())


def _named(typed: str, one_name: bool) -> ColumnElement[bool]:
    """On User: the full name is `typed` in either order, as people say it ("דנה לוי", "Levi
    Dana"), or for `one_name`, the first or last name alone is."""
    wanted = func.ge_fold(typed)
    named = (func.ge_fold(User.first_name + " " + User.last_name) == wanted) | (
        func.ge_fold(User.last_name + " " + User.first_name) == wanted
    )
    if one_name:
        first, last = func.ge_fold(User.first_name), func.ge_fold(User.last_name)
        named |= (first == wanted) | (last == wanted)
    return named


def _named_across(pattern: str, one_name: bool) -> ColumnElement[bool]:
    """On User: `_named` for a name typed in the other script ("מיכאל גרין" for Michael Green),
    the names without their spaces, as `across_scripts` patterns are (core/search.py)."""
    first, last = (func.replace(func.ge_fold(n), " ", "", type_=Text)
                   for n in (User.first_name, User.last_name))  # fmt: skip
    either = (first + last).regexp_match(pattern) | (last + first).regexp_match(pattern)
    if one_name:
        either |= first.regexp_match(pattern) | last.regexp_match(pattern)
    return either


async def find_teachers(uow: UnitOfWork, actor: Actor, typed: str) -> list[User]:
    """The teachers `typed` (an email or a name, NFC and stripped) names, up to MAX_CANDIDATES."""
    # Colleagues say "Dana" or "Green": one word is a first or last name as well.
    one_name = len(typed.split()) == 1
    if "@" in typed:
        found = await _teachers(uow, actor, func.lower(User.email) == typed.lower())
    else:
        found = await _teachers(uow, actor, _named(typed, one_name))
    pattern = None if found or "@" in typed else across_scripts(await fold(uow.session, typed))
    if pattern is not None:
        found = await _teachers(uow, actor, _named_across(pattern, one_name))
    return found


async def _by_number(uow: UnitOfWork, actor: Actor, raw: str) -> Student | None:
    """The one visible student whose school number is `raw` exactly (names have no digits):
    read by the (school, number) key, without a name search, which under row-level security
    ranks every student of the school (its trigram operators cannot use the index there)."""
    if not any(c.isdigit() for c in raw):
        return None
    found = (
        await uow.session.scalars(
            select(Student).where(visible_students(actor), Student.student_id == raw).limit(2)
        )
    ).all()
    return found[0] if len(found) == 1 else None


async def find_students(uow: UnitOfWork, actor: Actor, raw: str) -> list[Student]:
    """The students `raw` names equally well (one by its school number); InvalidInput if blank."""
    numbered = await _by_number(uow, actor, raw)
    if numbered is not None:
        return [numbered]
    folded = await fold(uow.session, raw)
    if not folded:
        raise InvalidInput("student", "write a student's name")
    visible = visible_students(actor)
    statement = search_statement(folded, raw, visible, MAX_CANDIDATES)
    rows = [(student, rank) for student, rank in (await uow.session.execute(statement)).all()]
    across = None if rows else across_scripts_statement(folded, visible, MAX_CANDIDATES)
    if across is not None:  # `נוח` for Noah: a name typed in the other script
        rows = [(student, 0) for student in await uow.session.scalars(across)]
    top = min((rank for _student, rank in rows), default=0)
    return [student for student, rank in rows if rank == top]
