"""An analysis's life in the chat: start, ask, generate, resume, retry (its end unsaved,
cancelled or expired, is bot/closing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.asked_for import someone_named
from bot.commands import Parsed
from bot.deps import Deps
from bot.events import Button, Reply
from bot.i18n import isolate
from bot.meant import ask_whom, offer_buttons
from bot.names_typed import named_exactly
from bot.render import review_reply
from bot.states import CHOOSING, GENERATING, IDLE, INTERVIEWING, REVIEWING
from core.analysis_records import InterviewSnapshot
from core.errors import AccessDenied
from core.models import AnalysisStatus, ConversationRole, UserRole
from core.ports.ai import AIError, AIInvalidResult, AIQuotaExhausted
from core.prompts import system_prompt
from core.services import analyses, commands, students

if TYPE_CHECKING:
    from bot.context import Context

Replies = list[Reply]
# In the state: the waiting question as asked again in another language (its turn number,
# the language, the text); a new question (`go`) clears it.
RESTATED = "restated"


def student_name(snapshot: InterviewSnapshot) -> str:
    """The student's name, isolated for right-to-left text."""
    return isolate(f"{snapshot.student.first_name} {snapshot.student.last_name}")


def question(ctx: Context, text: str) -> Reply:
    """An interview question with its Finish button."""
    return Reply(text, (Button(ctx.say("finish_button"), "finish"),))


async def load(deps: Deps, ctx: Context, analysis_id: uuid.UUID) -> InterviewSnapshot:
    """The analysis with its turns, as the user may see it."""
    async with deps.uow() as uow:
        return await analyses.load_interview(uow=uow, actor=ctx.user.actor, analysis_id=analysis_id)


async def unfinished(deps: Deps, ctx: Context) -> InterviewSnapshot | None:
    """The user's newest analysis that may still be resumed or retried (never a cancelled one)."""
    async with deps.uow() as uow:
        return await analyses.latest_unfinished(uow=uow, actor=ctx.user.actor)


def review(ctx: Context, snapshot: InterviewSnapshot) -> Reply:
    """The analysis as it stands, with the review menu."""
    return review_reply(
        ctx.language,
        student_name(snapshot),
        ctx.user.display_name,
        snapshot.results or {},
        snapshot.teacher_edits,
    )


async def ask_again(deps: Deps, ctx: Context, *, restate: bool = False) -> Replies:
    """The interview's current question again (nothing stored), or nothing outside one.

    `restate`: the teacher switched languages, so the question is asked again in the new one
    (by the model) rather than as it was stored; kept in the state until the next question,
    so `help` or another aside repeats it in that language too.
    """
    if ctx.state != INTERVIEWING or ctx.analysis_id is None:
        return []
    snapshot = await load(deps, ctx, ctx.analysis_id)
    if snapshot.last_role is not ConversationRole.ASSISTANT:
        return await advance(deps, ctx, snapshot)
    text = snapshot.turns[-1].content
    turn, language, restated = ctx.data.get(RESTATED) or (None, None, None)
    if turn == len(snapshot.turns) and language == ctx.language:
        text = str(restated)
    elif restate:
        try:
            text = await deps.interviewer.restate(ctx.user.actor, snapshot, ctx.language) or text
        except AIError:  # the question as it was asked, rather than none or a failed interview
            pass
        ctx.data[RESTATED] = [len(snapshot.turns), ctx.language, text]
    return [question(ctx, text)]


async def _fail(
    deps: Deps, ctx: Context, snapshot: InterviewSnapshot, error: AIError, stage: str
) -> Replies:
    reason = (
        "ai_quota"
        if isinstance(error, AIQuotaExhausted)
        else "ai_invalid"
        if isinstance(error, AIInvalidResult)
        else "ai_unavailable"
    )
    async with deps.uow() as uow:
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
            (Button(ctx.say("retry_button"), "retry"), Button(ctx.say("cancel_button"), "cancel")),
        )
    ]


async def generate(deps: Deps, ctx: Context, snapshot: InterviewSnapshot) -> Replies:
    """Write the analysis and move to review (or to FAILED with a retry offer)."""
    ctx.go(GENERATING, snapshot.analysis_id)
    await deps.checkpoint(ctx)  # a crash now leaves a state the next message can recover from
    try:
        done = await deps.interviewer.generate(ctx.user.actor, snapshot, ctx.language)
    except AIError as error:
        return await _fail(deps, ctx, snapshot, error, "generate")
    ctx.go(REVIEWING, done.analysis_id)
    return [Reply(ctx.say("generating")), review(ctx, done)]


async def advance(
    deps: Deps,
    ctx: Context,
    snapshot: InterviewSnapshot,
    *,
    final: bool = False,
    lead: Sequence[Reply] = (),
) -> Replies:
    """Ask the next question, or generate when the model is done or the maximum is reached.

    `final`: the question is all the exchange answers, so the write that stores it also
    answers the event and records the reply (the engine's `closing`); no further write.
    `lead`: replies that come before the question (recorded with it).
    """
    lead = list(lead)
    asked = snapshot.questions_asked
    if snapshot.last_role is ConversationRole.ASSISTANT:
        # Run again after a crash that came once the question was stored: never two in a row.
        ctx.go(INTERVIEWING, snapshot.analysis_id)
        return [*lead, question(ctx, snapshot.turns[-1].content)]
    if asked >= deps.settings.max_questions:
        return [*lead, *await generate(deps, ctx, snapshot)]
    # The state once the question is asked, stored with it: the exchange ends in that commit.
    asking = ctx.planned(INTERVIEWING, snapshot.analysis_id)
    closing = ctx.closing if final else None
    try:
        text = await deps.interviewer.next_question(
            ctx.user.actor,
            snapshot,
            ctx.language,
            may_finish=asked >= deps.settings.min_questions,
            state=asking,
            ending=None
            if closing is None
            else (lambda said: closing([*lead, question(ctx, said)])),
        )
    except AIError as error:
        return [*lead, *await _fail(deps, ctx, snapshot, error, "interview")]
    if text is None:
        return [*lead, *await generate(deps, ctx, await load(deps, ctx, snapshot.analysis_id))]
    ctx.go(INTERVIEWING, snapshot.analysis_id)
    ctx.stored = asking
    replies = [*lead, question(ctx, text)]
    if closing is not None:
        ctx.answered = replies
    return replies


async def start(deps: Deps, ctx: Context, student_id: uuid.UUID) -> Replies:
    """Create the analysis and ask the first question."""
    async with deps.uow() as uow:
        snapshot = await analyses.start_analysis(
            uow=uow,
            actor=ctx.user.actor,
            student_id=student_id,
            system_prompt=system_prompt(ctx.language),
        )
    ctx.go(INTERVIEWING, snapshot.analysis_id)
    started = Reply(ctx.say("started", name=student_name(snapshot)))
    return [started, *await advance(deps, ctx, snapshot)]


async def on_analyze(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """`analyze NAME`: one match starts at once; several are offered as numbered choices."""
    parsed = Parsed(parsed.verb, someone_named(parsed.argument), parsed.slashed)  # "a student"
    try:
        async with deps.uow() as uow:
            await commands.authorize_command(uow=uow, actor=ctx.user.actor, command="analyze")
    except AccessDenied:
        if parsed.argument and ctx.user.actor.role is not UserRole.TEACHER:
            # A principal naming a student wants to read about them: say how.
            return [Reply(ctx.say("analyze_not_yours", name=isolate(parsed.argument[:40])))]
        return [Reply(ctx.say("role_refused"))]
    if not parsed.argument:  # alone, or "a student": whom?
        ask_whom(ctx, "analyze")
        return [Reply(ctx.say("analyze_ask"))]
    async with deps.uow() as uow:
        found = await students.find_students(
            uow=uow,
            actor=ctx.user.actor,
            query=parsed.argument,
            limit=deps.settings.search_limit,
            best_only=True,
        )
    if not found:
        return [Reply(ctx.say("no_match", query=parsed.argument))]
    if len(found) == 1 and named_exactly(parsed.argument, found[0]):
        return await start(deps, ctx, found[0].id)
    # A guess (a typo, a name across scripts) is asked about before a record is started.
    ctx.go(CHOOSING, None, choices=[str(s.id) for s in found], names=[s.full_name for s in found])
    lines = [ctx.say("choose" if len(found) > 1 else "choose_guess")] + [
        f"{i}. {isolate(s.full_name)} ({s.grade_level})" for i, s in enumerate(found, 1)
    ]
    buttons = tuple(Button(f"{i}. {s.full_name}", f"choose:{i}") for i, s in enumerate(found, 1))
    return [Reply("\n".join(lines), buttons)]


def offer(ctx: Context, snapshot: InterviewSnapshot) -> Reply:
    """Retry what the model failed, else resume the interrupted interview; the text names what
    the buttons do."""
    model_failed = (snapshot.failure_reason or "").startswith("ai_")
    action = "retry" if snapshot.status is AnalysisStatus.FAILED and model_failed else "resume"
    buttons = (
        Button(ctx.say(f"{action}_button"), action),
        Button(ctx.say("cancel_button"), "cancel"),
    )
    offer_buttons(ctx, buttons, yes=True)  # "yes" or "1" goes on; "no" cancels nothing
    return Reply(ctx.say(f"{action}_offer", name=student_name(snapshot)), buttons)


async def on_resume(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """Continue the newest interrupted interview where it stopped (a failed one is retried)."""
    snapshot = await unfinished(deps, ctx)
    if snapshot is None:
        return [Reply(ctx.say("nothing_to_resume"))]
    if snapshot.status is AnalysisStatus.FAILED:
        return await on_retry(deps, ctx, parsed)
    return await _continue(deps, ctx, snapshot, stage=None)


async def on_retry(deps: Deps, ctx: Context, parsed: Parsed) -> Replies:
    """Reopen an analysis that failed on the model's side and continue from its stored turns."""
    snapshot = await unfinished(deps, ctx)
    if snapshot is None or snapshot.status is not AnalysisStatus.FAILED:
        replies = [Reply(ctx.say("nothing_to_retry"))]
        return replies + ([offer(ctx, snapshot)] if snapshot else [])
    stage = ctx.data.get("stage")
    async with deps.uow() as uow:
        snapshot = await analyses.reopen_for_retry(
            uow=uow, actor=ctx.user.actor, analysis_id=snapshot.analysis_id
        )
    return await _continue(deps, ctx, snapshot, stage=stage)


async def _continue(
    deps: Deps, ctx: Context, snapshot: InterviewSnapshot, *, stage: str | None
) -> Replies:
    if snapshot.results is not None:  # stopped in review: the last turn is the result
        ctx.go(REVIEWING, snapshot.analysis_id)
        return [review(ctx, snapshot)]
    if stage == "generate" or snapshot.questions_asked >= deps.settings.max_questions:
        return await generate(deps, ctx, snapshot)
    if snapshot.last_role is ConversationRole.ASSISTANT:
        ctx.go(INTERVIEWING, snapshot.analysis_id)
        return [question(ctx, snapshot.turns[-1].content)]
    return await advance(deps, ctx, snapshot)
