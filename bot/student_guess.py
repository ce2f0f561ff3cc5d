"""A student named in a command that reads or exports about them (`history`, `summary`,
`export`, `admin audit student`, `admin record`): when the search only guessed (a part of a
word, a typo, a name read in the other script), the bot asks before it runs, as `analyze`
asks before it starts an analysis; a name typed in whole words runs at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands import word
from bot.events import Reply
from bot.i18n import isolate, t
from bot.meant import SHOWN, offer_command
from bot.names_typed import named_exactly
from core.actor import Actor
from core.errors import InvalidInput
from core.services import students
from core.uow import UnitOfWork
from core.views import StudentView

if TYPE_CHECKING:
    from bot.context import Context

GUESSES = 5  # as many as `analyze` offers to choose from


def _an_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def guesses(unit: Callable[[], UnitOfWork], actor: Actor, query: str) -> list[StudentView]:
    """The students `query` finds only by a guess; [] when it names one in whole words (first,
    last, both, or the school number), finds none, or is an id: the command then runs as typed
    and core says what it found."""
    said = query.strip()
    if not said or _an_id(said):
        return []
    try:
        async with unit() as uow:
            found = await students.find_students(
                uow=uow, actor=actor, query=said, limit=GUESSES, best_only=True
            )
    except InvalidInput:  # punctuation only: the command says what is wrong with it
        return []
    return [] if any(named_exactly(said, s) for s in found) else found


def guess_text(language: str, query: str, found: list[StudentView], command: str) -> str:
    """The question about `query`: the one student found, with `command` run on their full name;
    several found, which of them (a fuller name picks one, as `history` asks)."""
    if len(found) > 1:
        return t(language, "be_specific", names=", ".join(isolate(s.full_name) for s in found))
    name = isolate(found[0].full_name)
    return t(language, "asked_as_guess", query=isolate(query[:SHOWN]), name=name, word=command)


def ask_about(
    ctx: Context, verb: str, argument: str, query: str, found: list[StudentView]
) -> list[Reply]:
    """`verb ARGUMENT` named its student by a guess (`query`): the question, with a button (or a
    typed yes) that runs the command on the student's full name; nothing is read until then."""
    # As the request was read, its words single-spaced: the name typed is in it as typed.
    said, query = " ".join(argument.split()), " ".join(query.split())
    command = f"{word(ctx.language, verb)} {said.replace(query, found[0].full_name, 1)}"
    text = guess_text(ctx.language, query, found, command)
    return [offer_command(ctx, command, text) if len(found) == 1 else Reply(text)]
