"""Dialogue steps shared by the states: start, advance, generate, resume, retry, cancel."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot import admin_commands, summary_commands
from bot.commands import Parsed
from bot.events import Button, Reply
from bot.i18n import isolate
from bot.render import review_reply
from bot.states import CHOOSING, GENERATING, IDLE, INTERVIEWING, REVIEWING
from core.analysis_records import InterviewSnapshot
from core.errors import AccessDenied
from core.models import AnalysisStatus, ConversationRole
from core.ports.ai import AIError, AIInvalidResult, AIQuotaExhausted
from core.prompts import system_prompt
from core.services import analyses, commands, history, people, students

if TYPE_CHECKING:
    from bot.engine import Context, DialogueEngine

Replies = list[Reply]


def _name(snapshot: InterviewSnapshot) -> str:
    return isolate(f"{snapshot.student.first_name} {snapshot.student.last_name}")


def _question(ctx: Context, text: str) -> Reply:
    return Reply(text, (Button(ctx.say("finish_button"), "finish"),))


async def _snapshot(engine: DialogueEngine, ctx: Context, analysis_id: uuid.UUID) -> Any:
    async with engine.uow() as uow:
        return await analyses.load_interview(uow=uow, actor=ctx.user.actor, analysis_id=analysis_id)


async def _fail(
    engine: DialogueEngine, ctx: Context, snapshot: InterviewSnapshot, error: AIError, stage: str
) -> Replies:
    reason = (
        "ai_quota"
        if isinstance(error, AIQuotaExhausted)
        else "ai_invalid"
        if isinstance(error, AIInvalidResult)
        else "ai_unavailable"
    )
    async with engine.uow() as uow:
        await analyses.mark_failed(
            uow=uow, actor=ctx.user.actor, analysis_id=snapshot.analysis_id, reason=reason
        )
    ctx.go(IDLE, None, stage=stage)
    if reason == "ai_quota":
        return [Reply(ctx.say("ai_quota"))]
    # "Invalid analysis twice" is only true of generation (one repair); a bad question is not.
    invalid_analysis = reason == "ai_invalid" and stage == "generate"
    return [
        Reply(
            ctx.say("ai_invalid" if invalid_analysis else "ai_failed"),
            (Button(ctx.say("retry_button"), "retry"),),
        )
    ]


async def generate(engine: DialogueEngine, ctx: Context, snapshot: InterviewSnapshot) -> Replies:
    """Write the analysis and move to review (or to FAILED with a retry offer)."""
    ctx.go(GENERATING, snapshot.analysis_id)
    await engine._save(ctx)  # a crash now leaves a state the next message can recover from
    try:
        done = await engine.interviewer.generate(ctx.user.actor, snapshot, ctx.language)
    except AIError as error:
        return await _fail(engine, ctx, snapshot, error, "generate")
    ctx.go(REVIEWING, done.analysis_id)
    return [
        Reply(ctx.say("generating")),
        review_reply(
            ctx.language, _name(done), ctx.user.display_name, done.results or {}, done.teacher_edits
        ),
    ]


async def advance(engine: DialogueEngine, ctx: Context, snapshot: InterviewSnapshot) -> Replies:
    """Ask the next question, or generate when the model is done or the maximum is reached."""
    asked = snapshot.questions_asked
    if snapshot.last_role is ConversationRole.ASSISTANT:
        # Run again after a crash that came once the question was stored: never two in a row.
        ctx.go(INTERVIEWING, snapshot.analysis_id)
        return [_question(ctx, snapshot.turns[-1].content)]
    if asked >= engine.settings.max_questions:
        return await generate(engine, ctx, snapshot)
    # The state once the question is asked, stored with it: the exchange ends in that commit.
    asking = ctx.planned(INTERVIEWING, snapshot.analysis_id)
    try:
        question = await engine.interviewer.next_question(
            ctx.user.actor,
            snapshot,
            ctx.language,
            may_finish=asked >= engine.settings.min_questions,
            state=asking,
        )
    except AIError as error:
        return await _fail(engine, ctx, snapshot, error, "interview")
    if question is None:
        return await generate(engine, ctx, await _snapshot(engine, ctx, snapshot.analysis_id))
    ctx.go(INTERVIEWING, snapshot.analysis_id)
    ctx.stored = asking
    return [_question(ctx, question)]


async def start(engine: DialogueEngine, ctx: Context, student_id: uuid.UUID) -> Replies:
    """Create the analysis and ask the first question."""
    async with engine.uow() as uow:
        snapshot = await analyses.start_analysis(
            uow=uow,
            actor=ctx.user.actor,
            student_id=student_id,
            system_prompt=system_prompt(ctx.language),
        )
    ctx.go(INTERVIEWING, snapshot.analysis_id)
    return [Reply(ctx.say("started", name=_name(snapshot))), *await advance(engine, ctx, snapshot)]


async def on_analyze(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """`analyze NAME`: search, then start or offer numbered choices."""
    async with engine.uow() as uow:
        await commands.authorize_command(uow=uow, actor=ctx.user.actor, command="analyze")
    if not parsed.argument:
        return [Reply(ctx.say("help"))]
    async with engine.uow() as uow:
        found = await students.find_students(
            uow=uow,
            actor=ctx.user.actor,
            query=parsed.argument,
            limit=engine.settings.search_limit,
            best_only=True,
        )
    if not found:
        return [Reply(ctx.say("no_match", query=parsed.argument))]
    if len(found) == 1:
        return await start(engine, ctx, found[0].id)
    ctx.go(CHOOSING, None, choices=[str(s.id) for s in found])
    lines = [ctx.say("choose")] + [
        f"{i}. {isolate(s.full_name)} ({s.grade_level})" for i, s in enumerate(found, 1)
    ]
    buttons = tuple(Button(f"{i}. {s.full_name}", f"choose:{i}") for i, s in enumerate(found, 1))
    return [Reply("\n".join(lines), buttons)]


async def on_students(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """`students [QUERY]`: the user's students, or a search among them."""
    async with engine.read_uow() if parsed.argument else engine.uow() as uow:
        if parsed.argument:
            found = await students.find_students(
                uow=uow, actor=ctx.user.actor, query=parsed.argument, limit=20
            )
        else:
            found = (await students.list_my_students(uow=uow, actor=ctx.user.actor)).items
    if not found:
        return [Reply(ctx.say("no_students"))]
    lines = [ctx.say("students_title")] + [
        f"• {isolate(s.full_name)} ({s.grade_level})" for s in found
    ]
    return [Reply("\n".join(lines))]


async def _unfinished(engine: DialogueEngine, ctx: Context) -> InterviewSnapshot | None:
    async with engine.uow() as uow:
        return await analyses.latest_unfinished(uow=uow, actor=ctx.user.actor)


async def on_resume(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """Continue the newest unfinished interview where it stopped."""
    snapshot = await _unfinished(engine, ctx)
    if snapshot is None:
        return [Reply(ctx.say("nothing_to_resume"))]
    if snapshot.status is AnalysisStatus.FAILED:
        return await on_retry(engine, ctx, parsed)
    if snapshot.results is not None:
        ctx.go(REVIEWING, snapshot.analysis_id)
        return [
            review_reply(
                ctx.language,
                _name(snapshot),
                ctx.user.display_name,
                snapshot.results,
                snapshot.teacher_edits,
            )
        ]
    if snapshot.last_role is ConversationRole.ASSISTANT:
        ctx.go(INTERVIEWING, snapshot.analysis_id)
        return [_question(ctx, snapshot.turns[-1].content)]
    return await advance(engine, ctx, snapshot)


async def on_retry(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """Reopen a FAILED analysis and continue from its stored turns."""
    snapshot = await _unfinished(engine, ctx)
    if snapshot is None or snapshot.status is not AnalysisStatus.FAILED:
        return (
            await on_resume(engine, ctx, parsed)
            if snapshot
            else [Reply(ctx.say("nothing_to_resume"))]
        )
    stage = ctx.data.get("stage")
    async with engine.uow() as uow:
        snapshot = await analyses.reopen_for_retry(
            uow=uow, actor=ctx.user.actor, analysis_id=snapshot.analysis_id
        )
    if snapshot.results is not None:  # cancelled in review: the last turn is the result
        ctx.go(REVIEWING, snapshot.analysis_id)
        return [
            review_reply(
                ctx.language,
                _name(snapshot),
                ctx.user.display_name,
                snapshot.results,
                snapshot.teacher_edits,
            )
        ]
    if stage == "generate" or snapshot.questions_asked >= engine.settings.max_questions:
        return await generate(engine, ctx, snapshot)
    if snapshot.last_role is ConversationRole.ASSISTANT:
        ctx.go(INTERVIEWING, snapshot.analysis_id)
        return [_question(ctx, snapshot.turns[-1].content)]
    return await advance(engine, ctx, snapshot)


async def on_cancel(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """Any state: drop the current analysis (kept as FAILED, reason `cancelled`).

    While a review waits for an edit or a note, only that pending text is dropped.
    """
    if ctx.state == REVIEWING and ctx.data.pop("awaiting", None):
        return [Reply(ctx.say("in_review"))]  # only the pending edit or note is dropped
    if ctx.state == CHOOSING:
        ctx.go(IDLE)
        return [Reply(ctx.say("choice_cancelled"))]
    analysis_id = ctx.analysis_id
    if analysis_id is None and ctx.state == IDLE:
        unfinished = await _unfinished(engine, ctx)
        if unfinished and unfinished.status is AnalysisStatus.IN_PROGRESS:
            analysis_id = unfinished.analysis_id
    if analysis_id is None:
        ctx.go(IDLE)
        return [Reply(ctx.say("nothing_to_cancel"))]
    try:
        async with engine.uow() as uow:
            await analyses.mark_failed(
                uow=uow, actor=ctx.user.actor, analysis_id=analysis_id, reason="cancelled"
            )
    except AccessDenied:
        if ctx.state != IDLE:
            raise
        # An unfinished analysis this user's role may no longer change: not theirs to cancel.
        return [Reply(ctx.say("nothing_to_cancel"))]
    ctx.go(IDLE)
    return [Reply(ctx.say("cancelled"))]


async def on_history(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """`history NAME`: the student's analyses, newest first (no results, no notes)."""
    if not parsed.argument:
        return [Reply(ctx.say("help"))]
    async with engine.read_uow() as uow:
        found = await students.find_students(
            uow=uow, actor=ctx.user.actor, query=parsed.argument, limit=5, best_only=True
        )
    if not found:
        return [Reply(ctx.say("no_match", query=parsed.argument))]
    if len(found) > 1:
        names = ", ".join(isolate(s.full_name) for s in found)
        return [Reply(ctx.say("be_specific", names=names))]
    async with engine.read_uow() as uow:
        items = await history.student_history(uow=uow, actor=ctx.user.actor, student_id=found[0].id)
    title = ctx.say("history_title", name=isolate(found[0].full_name))
    if not items:
        return [Reply(f"{title}\n{ctx.say('history_empty')}")]
    lines = [title] + [
        f"• {i.created_at:%Y-%m-%d} · {ctx.say('status_' + i.status.lower())} · "
        f"{isolate(i.teacher_name)}" + (f" · {ctx.say('flag')}" if i.flagged else "")
        for i in items
    ]
    return [Reply("\n".join(lines))]


async def on_lang(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """`lang he|en`: kept in the user's settings, so every platform answers in it."""
    if parsed.argument not in ("he", "en"):
        return [Reply(ctx.say("lang_bad"))]
    async with engine.uow() as uow:
        await people.set_language(uow=uow, actor=ctx.user.actor, language=parsed.argument)
    ctx.user = replace(ctx.user, language=parsed.argument)
    ctx.data.pop("language", None)
    return [Reply(ctx.say("lang_set"))]


async def on_help(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """The command list."""
    return [Reply(ctx.say("help"))]


async def on_role_command(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> Replies:
    """`summary`, `flagged`, `reviewed`, `export`, `admin`: access-checked (and audited) in core."""
    if parsed.verb == "admin":
        return await admin_commands.handle(
            engine, ctx, parsed.argument, bot_username=engine.bot_username
        )
    async with engine.uow() as uow:
        try:
            await commands.authorize_command(
                uow=uow, actor=ctx.user.actor, command=parsed.verb or ""
            )
        except AccessDenied:
            return [Reply(ctx.say("role_refused"))]
    return await summary_commands.handle(engine, ctx, parsed.verb or "", parsed.argument)
