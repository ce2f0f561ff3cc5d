"""Commands that look things up or add to them without moving the dialogue: students, history,
opening a past analysis, notes, language, who saw a student's record, and the principal's and
admin's commands."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot import admin_commands, admin_records, summary_commands
from bot.admin_call import Call
from bot.asked_for import ADMIN_SAID, HOW_THEY_DO, READERS
from bot.commands import Parsed, language_named
from bot.deps import Deps
from bot.events import Button, Reply
from bot.explain import explain
from bot.flows import load, student_name
from bot.i18n import isolate
from bot.meant import SHOWN, ask_whom, offer_buttons, yes_or_no
from bot.names_typed import named_exactly
from bot.states import IDLE
from bot.student_guess import ask_about
from bot.written_in import FOLLOWED, NOTED
from core.analysis_records import CANCELLED
from core.errors import AccessDenied
from core.models import AnalysisStatus, UserRole
from core.periods import SCHOOL_TZ
from core.services import commands, history, people, review, students

if TYPE_CHECKING:
    from bot.context import Context

Replies = list[Reply]
# A note without an analysis is offered, for a yes, to the one touched this recently.
NOTE_WINDOW = timedelta(days=1)
NOTE = "note"  # in the state: a note's text until the teacher says which analysis it is for


async def on_students(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`students [QUERY]`: the user's students, or a search among them."""
    async with deps.read_uow() if parsed.argument else deps.uow() as uow:
        if parsed.argument:
            found = await students.find_students(
                uow=uow, actor=ctx.user.actor, query=parsed.argument, limit=20
            )
        else:
            found = (await students.list_my_students(uow=uow, actor=ctx.user.actor)).items
    if not found and parsed.argument:
        return [Reply(ctx.say("no_match", query=parsed.argument))]
    if not found:
        return [Reply(ctx.say("no_students"))]
    # A principal's list is the school's, an admin's every school's: not "your students".
    title = {UserRole.PRINCIPAL: "students_title_school", UserRole.ADMIN: "students_title_all"}
    lines = [ctx.say(title.get(ctx.user.actor.role, "students_title"))] + [
        f"• {isolate(s.full_name)} ({s.grade_level})" for s in found
    ]
    if parsed.verb == HOW_THEY_DO:  # "how are my students doing?": where that is said
        lines.append(ctx.say("students_how_they_do"))
    return [Reply("\n".join(lines))]


async def on_history(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`history NAME`: the student's analyses, newest first, each with a button that opens it."""
    if not parsed.argument:
        ask_whom(ctx, "history")
        return [Reply(ctx.say("history_ask"))]
    async with deps.read_uow() as uow:
        found = await students.find_students(
            uow=uow, actor=ctx.user.actor, query=parsed.argument, limit=5, best_only=True
        )
    if not found:
        return [Reply(ctx.say("no_match", query=parsed.argument))]
    if len(found) > 1:
        names = ", ".join(isolate(s.full_name) for s in found)
        ask_whom(ctx, "history")  # the fuller name sent next is history's
        return [Reply(ctx.say("be_specific", names=names))]
    if not named_exactly(parsed.argument, found[0]):
        # A guess (a part of a word, a typo, a name across scripts): asked about before the
        # student's analyses are read, as `analyze` asks before it starts one.
        return ask_about(ctx, "history", parsed.argument, parsed.argument.strip(), found)
    async with deps.read_uow() as uow:
        items = await history.student_history(uow=uow, actor=ctx.user.actor, student_id=found[0].id)
    title = ctx.say("history_title", name=isolate(found[0].full_name))
    if not items:
        return [Reply(f"{title}\n{ctx.say('history_empty')}")]
    # Two analyses of one day are told apart by their time (the list's and the buttons').
    shown = list(zip(items, moments([i.created_at for i in items]), strict=True))
    lines = [title] + [
        f"{n}. {at} · {_status(ctx, i)} · "
        f"{isolate(i.teacher_name)}" + (f" · {ctx.say('flagged_mark')}" if i.flagged else "")
        for n, (i, at) in enumerate(shown, 1)
    ]
    buttons = tuple(
        Button(f"{n}. " + ctx.say("open_button", date=at, status=_status(ctx, i)),
               f"open:{i.analysis_id}")
        for n, (i, at) in enumerate(shown, 1)
    )  # fmt: skip
    offer_buttons(ctx, buttons)  # "1" opens the first, as the numbered list invites
    return [Reply("\n".join([*lines, "", ctx.say("history_open")]), buttons)]


def _status(ctx: Context, item: history.HistoryItem | history.RecentAnalysis) -> str:
    """The status as the teacher would put it: one they cancelled is cancelled, not failed."""
    cancelled = item.reason == CANCELLED and item.status == str(AnalysisStatus.FAILED)
    return ctx.say("status_cancelled" if cancelled else "status_" + item.status.lower())


def moments(times: list[datetime]) -> list[str]:
    """Each time as the school's clock reads it, to the minute ("2026-12-01 09:05"); to the
    second where two of `times` fall in one minute, so that no two read alike."""
    local = [moment.astimezone(SCHOOL_TZ) for moment in times]
    minutes = [f"{moment:%Y-%m-%d %H:%M}" for moment in local]
    return [
        f"{moment:%Y-%m-%d %H:%M:%S}" if minutes.count(minute) > 1 else minute
        for moment, minute in zip(local, minutes, strict=True)
    ]


def _when(ctx: Context, item: history.RecentAnalysis, moment: str) -> str:
    """When the analysis was last touched (`moment`), and its status unless it is complete (a
    draft, a cancelled one)."""
    done = item.status == str(AnalysisStatus.COMPLETED)
    return moment if done else f"{moment}, {_status(ctx, item)}"


async def note_on(deps: Deps, ctx: Context, analysis_id: uuid.UUID, text: str) -> Replies:
    """Add a private note to one analysis and name it in the confirmation."""
    async with deps.uow() as uow:
        await review.add_private_note(
            uow=uow, actor=ctx.user.actor, analysis_id=analysis_id, text=text
        )
    snapshot = await load(deps, ctx, analysis_id)
    return [Reply(ctx.say("noted_on", name=student_name(snapshot)))]


async def on_note(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`note TEXT` outside a review: on the analysis at hand; else the teacher is asked, never
    guessed for: the latest one touched within a day is named (student, date) for a yes, older
    ones are listed to pick from (the text waits in the state until they answer)."""
    if not parsed.argument:
        if ctx.state != IDLE:  # aside, mid-interview: the next message is the answer
            return [Reply(ctx.say("note_usage"))]
        ask_whom(ctx, "note")  # the next message is the note's text
        return [Reply(ctx.say("note_ask"))]
    if ctx.analysis_id is not None:
        return await note_on(deps, ctx, ctx.analysis_id, parsed.argument)
    async with deps.uow() as uow:
        recent = await history.recent_own_analyses(uow=uow, actor=ctx.user.actor)
    if not recent:
        return [Reply(ctx.say("note_nothing"))]
    ctx.data[NOTE] = parsed.argument
    touched = moments([r.updated_at for r in recent])
    when = [_when(ctx, r, at) for r, at in zip(recent, touched, strict=True)]
    buttons = tuple(
        Button(f"{n}. {r.student_name} · {when[n - 1]}", f"noteon:{r.analysis_id}")
        for n, r in enumerate(recent, 1)
    )
    latest = recent[0]
    if datetime.now(UTC) - latest.updated_at > NOTE_WINDOW:
        offer_buttons(ctx, buttons)
        return [Reply(ctx.say("note_which"), buttons)]
    # The analysis touched last may not be the one meant (a draft just cancelled, another
    # student's): named with its date, it takes a yes, and the others are a number away.
    offer_buttons(ctx, buttons, yes=True)
    name = isolate(latest.student_name)
    return [Reply(ctx.say("note_confirm", name=name, date=when[0]), buttons)]


def note_refused(ctx: Context, parsed: Parsed) -> Replies | None:
    """A "no" to the question of which analysis a note goes on: the note is dropped, and said
    to be (not "no question is waiting"); None when no note waits or the message is no "no"."""
    if NOTE not in ctx.data or parsed.verb is not None or yes_or_no(parsed.argument) is not False:
        return None
    del ctx.data[NOTE]
    return [Reply(ctx.say("note_not_added"))]


async def on_note_on(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """The button answering "which analysis is the note for?"."""
    text = ctx.data.pop(NOTE, None)
    if not text:
        return [Reply(ctx.say("note_usage"))]
    return await note_on(deps, ctx, uuid.UUID(parsed.argument), text)


async def on_lang(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`lang he|en` (or the language's name): kept in the user's settings, so every platform
    answers in it."""
    code = language_named(parsed.argument)
    if code is None and parsed.argument.strip():  # "lang klingon": say which there are
        return [Reply(ctx.say("lang_unknown", text=parsed.argument.strip()[:SHOWN]))]
    if code is None:
        return [Reply(ctx.say("lang_bad"))]
    async with deps.uow() as uow:
        await people.set_language(uow=uow, actor=ctx.user.actor, language=code)
    ctx.user = replace(ctx.user, language=code, language_settled=True)
    ctx.data.pop(FOLLOWED, None)
    ctx.data.pop(NOTED, None)  # writing the other language again is told how to switch
    return [Reply(ctx.say("lang_set"))]


async def on_role_command(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`summary`, `flagged`, `reviewed`, `export`, `admin`: access-checked (and audited) in core."""
    if parsed.verb in ("admin", ADMIN_SAID):
        unprefixed = parsed.verb == ADMIN_SAID  # "retention": a write is offered, not run
        return await admin_commands.handle(
            deps, ctx, parsed.argument, bot_username=deps.bot_username(), unprefixed=unprefixed
        )
    async with deps.uow() as uow:
        try:
            await commands.authorize_command(
                uow=uow, actor=ctx.user.actor, command=parsed.verb or ""
            )
        except AccessDenied:
            if ctx.user.actor.role is UserRole.TEACHER:
                # A teacher asking for a summary wants to know about their students: say how.
                return [Reply(ctx.say("role_refused_teacher"))]
            return [Reply(ctx.say("role_refused"))]
    return await summary_commands.handle(deps, ctx, parsed.verb or "", parsed.argument)


async def on_readers(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """ "Who saw Noah's analyses?" from someone who is not an admin: the student's disclosure log,
    read as the admin's `audit student NAME` is, so core decides (and audits) who may read it;
    refused, the sentence says who can. (An admin's question is read as the admin command, which
    asks about a guessed name first.)"""
    actor = ctx.user.actor
    call = Call(deps.uow, actor, ctx.language, read_uow=deps.read_uow)
    try:
        return await admin_records.audit(call, {"student": parsed.argument})
    except AccessDenied as error:
        return [Reply(explain(ctx.language, error, role=actor.role, verb=READERS))]
