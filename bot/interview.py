"""The AI side of the interview: pseudonymised messages out, questions and results back."""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import inbox
from core.actor import Actor
from core.analysis_records import InterviewSnapshot
from core.dialogue_states import ConversationState
from core.models import ConversationRole
from core.ports.ai import (
    AIInvalidResult,
    AIProvider,
    AnalysisResult,
    ChatMessage,
    Usage,
)
from core.privacy import Pseudonymizer
from core.prompts import analysis_instruction, repair_instruction, restate_instruction
from core.sections import LIST_SECTIONS
from core.services import turns
from core.uow import UnitOfWork

PriceTable = dict[str, tuple[float, float]]  # model -> USD per million (prompt, completion)


def estimate_tokens(text: str) -> int:
    """Rough token count of text the teacher wrote (the provider bills the real one)."""
    return max(1, math.ceil(len(text) / 4))


def cost_of(usage: Usage, prices: PriceTable) -> float:
    """Estimated USD cost of one call from the per-model price table."""
    prompt, completion = prices.get(usage.model, (0.0, 0.0))
    return (usage.prompt_tokens * prompt + usage.completion_tokens * completion) / 1_000_000


def pseudonymizer(snapshot: InterviewSnapshot) -> Pseudonymizer:
    """The redactor for this analysis's student."""
    student = snapshot.student
    born = student.date_of_birth.date() if student.date_of_birth else None
    return _redactor(student.first_name, student.last_name, student.student_id, born)


# Kept per student identity for the exchanges of an interview: building one compiles its
# name, ID and birth-date patterns (about 1.5 ms each for names re's own cache has not seen,
# more than the rest of an exchange's Python). A redactor holds nothing but those patterns
# and names, which the process has read anyway; a changed name or ID is a different key.
@functools.lru_cache(maxsize=1024)
def _redactor(first: str, last: str, student_id: str | None, born: date | None) -> Pseudonymizer:
    return Pseudonymizer(first, last, student_id=student_id, date_of_birth=born)


def outgoing(snapshot: InterviewSnapshot, redactor: Pseudonymizer) -> list[ChatMessage]:
    """What the provider sees: stored turns, teacher text redacted, system prompt as stored."""
    roles = {
        ConversationRole.SYSTEM: "system",
        ConversationRole.ASSISTANT: "assistant",
        ConversationRole.USER: "user",
    }
    messages = []
    for turn in snapshot.turns:
        content = (
            turn.content if turn.role is ConversationRole.SYSTEM else redactor.redact(turn.content)
        )
        messages.append(ChatMessage(roles[turn.role], content))  # type: ignore[arg-type]
    return messages


def restore_result(result: AnalysisResult, redactor: Pseudonymizer) -> dict[str, Any]:
    """The result with placeholders mapped back to the student's name, as stored for display."""
    data = result.model_dump()
    for key in LIST_SECTIONS:
        data[key] = [redactor.restore(item) for item in data[key]]
    data["learningStyle"] = redactor.restore(data["learningStyle"])
    return data


@dataclass
class Interviewer:
    """Runs model calls between units of work (never inside one)."""

    ai: AIProvider
    prices: PriceTable
    uow_factory: Callable[[], UnitOfWork]

    async def next_question(
        self,
        actor: Actor,
        snapshot: InterviewSnapshot,
        language: str,
        *,
        may_finish: bool,
        state: ConversationState | None = None,
        ending: Callable[[str], inbox.Answer | None] | None = None,
    ) -> str | None:
        """Ask the model; store and return the question, or None when it wants to finish.

        `state` is the conversation's state record once a question is asked; it is stored
        with the question, in the same unit of work. `ending` gives, for the question, the
        inbox event it answers and the replies to record: the exchange ends in that write.
        """
        redactor = pseudonymizer(snapshot)
        step = await self.ai.next_question(
            outgoing(snapshot, redactor), language=language, may_finish=may_finish
        )
        if step.done or not step.question:
            async with self.uow_factory() as uow:
                await turns.add_usage(
                    uow=uow,
                    actor=actor,
                    analysis_id=snapshot.analysis_id,
                    tokens=step.usage.total_tokens,
                    cost=cost_of(step.usage, self.prices),
                    reason="done",
                )
            return None
        question = redactor.restore(step.question)
        async with self.uow_factory() as uow:
            await turns.append_question(
                uow=uow,
                actor=actor,
                analysis_id=snapshot.analysis_id,
                content=question,
                tokens=step.usage.completion_tokens,
                billed_tokens=step.usage.total_tokens,
                cost=cost_of(step.usage, self.prices),
                state=state,
                answer=None if ending is None else ending(question),
            )
        return question

    async def restate(self, actor: Actor, snapshot: InterviewSnapshot, language: str) -> str | None:
        """The waiting question (the last turn) asked again in `language`, or None when the
        model gives none. Not stored: the stored question is the same question, and storing
        it again would count it twice; its tokens are billed to the analysis."""
        redactor = pseudonymizer(snapshot)
        messages = [
            *outgoing(snapshot, redactor),
            ChatMessage("system", restate_instruction(language)),
        ]
        step = await self.ai.next_question(messages, language=language, may_finish=False)
        await self._bill(actor, snapshot.analysis_id, step.usage, "restated")
        return redactor.restore(step.question) if step.question else None

    async def generate(
        self, actor: Actor, snapshot: InterviewSnapshot, language: str
    ) -> InterviewSnapshot:
        """Produce the analysis, with one repair request; raises AIInvalidResult after that."""
        redactor = pseudonymizer(snapshot)
        messages = outgoing(snapshot, redactor)
        try:
            reply = await self.ai.produce_analysis(messages, language=language)
        except AIInvalidResult as first:
            await self._bill(actor, snapshot.analysis_id, first.usage, "invalid_result")
            # The bad reply follows the instruction it answered; the repair comes last.
            messages += [
                ChatMessage("system", analysis_instruction(language)),
                ChatMessage("assistant", first.raw or "(no content)"),
                ChatMessage("system", repair_instruction(first.reason)),
            ]
            try:
                reply = await self.ai.produce_analysis(messages, language=language)
            except AIInvalidResult as second:
                await self._bill(actor, snapshot.analysis_id, second.usage, "invalid_result")
                raise
        result = restore_result(reply.result, redactor)
        async with self.uow_factory() as uow:
            return await turns.store_result(
                uow=uow,
                actor=actor,
                analysis_id=snapshot.analysis_id,
                result=result,
                content=json.dumps(result, ensure_ascii=False),
                tokens=reply.usage.completion_tokens,
                billed_tokens=reply.usage.total_tokens,
                cost=cost_of(reply.usage, self.prices),
            )

    async def _bill(
        self, actor: Actor, analysis_id: uuid.UUID, usage: Usage | None, reason: str
    ) -> None:
        if usage is None:
            return
        async with self.uow_factory() as uow:
            await turns.add_usage(
                uow=uow,
                actor=actor,
                analysis_id=analysis_id,
                tokens=usage.total_tokens,
                cost=cost_of(usage, self.prices),
                reason=reason,
            )
