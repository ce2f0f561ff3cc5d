"""The transition table: for each state, what each kind of input does."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import flows
from bot.commands import Parsed
from bot.events import Button, Reply
from bot.interview import estimate_tokens
from bot.render import SECTION_KEYS, review_reply
from bot.states import CHOOSING, GENERATING, IDLE, INTERVIEWING, REVIEWING
from core.models import ConversationRole
from core.services import analyses, review, turns

if TYPE_CHECKING:
    from bot.engine import Context, DialogueEngine

Handler = Callable[["DialogueEngine", "Context", Parsed], Awaitable[list[Reply]]]

IDLE_COMMANDS: dict[str, Handler] = {
    "analyze": flows.on_analyze,
    "students": flows.on_students,
    "resume": flows.on_resume,
    "history": flows.on_history,
    "retry": flows.on_retry,
    "help": flows.on_help,
    "start": flows.on_help,
    "summary": flows.on_role_command,
    "flagged": flows.on_role_command,
    "admin": flows.on_role_command,
    "reviewed": flows.on_role_command,
    "export": flows.on_role_command,
}


async def idle(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Commands run; anything else offers the unfinished analysis, or the help."""
    if parsed.verb in IDLE_COMMANDS:
        return await IDLE_COMMANDS[parsed.verb](engine, ctx, parsed)
    unfinished = await flows._unfinished(engine, ctx)
    if unfinished is not None:
        other = "retry" if unfinished.status == "FAILED" else "cancel"
        return [
            Reply(
                ctx.say("resume_offer", name=flows._name(unfinished)),
                (
                    Button(ctx.say("resume_button"), "resume"),
                    Button(ctx.say(f"{other}_button"), other),
                ),
            )
        ]
    return [Reply(ctx.say("help"))]


async def choosing(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> list[Reply]:
    """A number (typed or a button) picks the student; anything else asks again."""
    choices = ctx.data.get("choices", [])
    pick = parsed.argument if parsed.verb == "choose" else parsed.argument.strip()
    if pick.isdecimal() and 1 <= int(pick) <= len(choices):  # isdigit() lets "²" crash int()
        return await flows.start(engine, ctx, uuid.UUID(choices[int(pick) - 1]))
    if parsed.verb == "analyze":
        return await flows.on_analyze(engine, ctx, parsed)
    return [Reply(ctx.say("choose_again", count=len(choices)))]


async def interviewing(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> list[Reply]:
    """An answer is stored, then the next question; `finish` generates the analysis."""
    assert ctx.analysis_id is not None
    if engine.expired(ctx):
        snapshot = await flows._snapshot(engine, ctx, ctx.analysis_id)
        async with engine.uow() as uow:
            await analyses.mark_failed(
                uow=uow, actor=ctx.user.actor, analysis_id=ctx.analysis_id, reason="expired"
            )
        ctx.go(IDLE)
        hours = f"{engine.settings.idle_timeout.total_seconds() / 3600:g}"
        return [Reply(ctx.say("expired", name=flows._name(snapshot), hours=hours))]
    if parsed.verb == "resume":  # written alone, or the button: the stored question again
        snapshot = await flows._snapshot(engine, ctx, ctx.analysis_id)
        if snapshot.last_role is ConversationRole.ASSISTANT:
            return [flows._question(ctx, snapshot.turns[-1].content)]
        return await flows.advance(engine, ctx, snapshot)
    if parsed.verb == "finish":
        snapshot = await flows._snapshot(engine, ctx, ctx.analysis_id)
        if not any(turn.role is ConversationRole.USER for turn in snapshot.turns):
            return [Reply(ctx.say("in_interview"))]
        return await flows.generate(engine, ctx, snapshot)
    if parsed.verb is not None and parsed.slashed:
        if parsed.verb == "help":
            return [Reply(ctx.say("help")), Reply(ctx.say("in_interview"))]
        return [Reply(ctx.say("in_interview"))]
    text = parsed.argument
    if not text:
        return [Reply(ctx.say("in_interview"))]
    async with engine.uow() as uow:
        snapshot = await turns.append_turn(
            uow=uow,
            actor=ctx.user.actor,
            analysis_id=ctx.analysis_id,
            role=ConversationRole.USER,
            content=text,
            tokens=estimate_tokens(text),
            event_key=ctx.event.event_key,
        )
    return await flows.advance(engine, ctx, snapshot)


async def generating(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Only reached after a crash mid-generation: generate again from the stored turns."""
    assert ctx.analysis_id is not None
    snapshot = await flows._snapshot(engine, ctx, ctx.analysis_id)
    if snapshot.results is not None:
        ctx.go(REVIEWING, snapshot.analysis_id)
        return await reviewing(engine, ctx, parsed)
    return await flows.generate(engine, ctx, snapshot)


async def reviewing(engine: DialogueEngine, ctx: Context, parsed: Parsed) -> list[Reply]:
    """Save, edit a section, flag, add a private note or discard."""
    assert ctx.analysis_id is not None
    actor, analysis_id = ctx.user.actor, ctx.analysis_id
    awaiting = ctx.data.get("awaiting")
    verb = parsed.verb
    async with engine.uow() as uow:
        if verb == "save":
            await review.save_analysis(uow=uow, actor=actor, analysis_id=analysis_id)
            snapshot = await flows._snapshot(engine, ctx, analysis_id)
            ctx.go(IDLE)
            return [Reply(ctx.say("saved", name=flows._name(snapshot)))]
        if verb == "discard":
            await review.discard_analysis(uow=uow, actor=actor, analysis_id=analysis_id)
            ctx.go(IDLE)
            return [Reply(ctx.say("discarded"))]
        if verb == "resume":  # back to the review as it stands, dropping a pending edit/note
            ctx.data.pop("awaiting", None)
            snapshot = await flows._snapshot(engine, ctx, analysis_id)
            return [
                review_reply(
                    ctx.language,
                    flows._name(snapshot),
                    ctx.user.display_name,
                    snapshot.results or {},
                    snapshot.teacher_edits,
                )
            ]
        if verb == "flag":
            await review.flag_for_review(uow=uow, actor=actor, analysis_id=analysis_id)
            return [Reply(ctx.say("flagged"))]
        if verb == "edit" and parsed.argument in SECTION_KEYS:
            ctx.data["awaiting"] = f"edit:{parsed.argument}"
            return [Reply(ctx.say("edit_prompt", section=ctx.say(parsed.argument)))]
        if verb == "note" and not parsed.argument:
            ctx.data["awaiting"] = "note"
            return [Reply(ctx.say("note_prompt"))]
        if verb == "note" or (verb is None and awaiting == "note"):
            await review.add_private_note(
                uow=uow, actor=actor, analysis_id=analysis_id, text=parsed.argument
            )
            ctx.data.pop("awaiting", None)
            return [Reply(ctx.say("noted"))]
        if verb is None and awaiting and awaiting.startswith("edit:"):
            section = awaiting.split(":", 1)[1]
            await review.edit_section(
                uow=uow, actor=actor, analysis_id=analysis_id, section=section, text=parsed.argument
            )
            ctx.data.pop("awaiting", None)
            snapshot = await flows._snapshot(engine, ctx, analysis_id)
            return [
                Reply(ctx.say("edited", section=ctx.say(section))),
                review_reply(
                    ctx.language,
                    flows._name(snapshot),
                    ctx.user.display_name,
                    snapshot.results or {},
                    snapshot.teacher_edits,
                ),
            ]
    return [Reply(ctx.say("in_review"))]


ANYWHERE: dict[str, Handler] = {"cancel": flows.on_cancel, "lang": flows.on_lang}
BY_STATE: dict[str, Handler] = {
    IDLE: idle,
    CHOOSING: choosing,
    INTERVIEWING: interviewing,
    GENERATING: generating,
    REVIEWING: reviewing,
}
