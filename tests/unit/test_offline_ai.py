"""OfflineAnalyst: a fixed, labelled interview and an analysis built from the answers."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.offline_ai import (
    MAX_CONFIDENCE,
    MODEL_NAME,
    PREFIX,
    TOPICS,
    OfflineAnalyst,
    is_clarifying,
)
from core.ports.ai import AIProvider, AnalysisResult, ChatMessage

SYSTEM = ChatMessage("system", "system prompt")

ANSWERS_EN = {
    "overall": "Student A is a calm, curious child.",
    "strengths": "Reads fluently. Great at drawing! Helps friends.",
    "difficulties": "Struggles with long written tasks. Loses focus after lunch.",
    "learning": "Learns best with visual examples and short tasks.",
    "social": "Has two close friends; sometimes shy in groups.",
}
ANSWERS_HE = {
    "overall": "Student A ילד רגוע וסקרן.",
    "strengths": "קורא בשטף. מצייר יפה.",
    "difficulties": "מתקשה במשימות כתיבה ארוכות.",
    "learning": "לומד הכי טוב עם דוגמאות חזותיות.",
    "social": "יש לו שני חברים קרובים.",
}


async def interview(
    ai: OfflineAnalyst, answers: dict[str, str], language: str
) -> list[ChatMessage]:
    """Run the whole offline interview, answering each topic from `answers`."""
    messages = [SYSTEM]
    for topic in TOPICS:
        step = await ai.next_question(messages, language=language, may_finish=True)
        assert not step.done and step.question
        messages += [ChatMessage("assistant", step.question), ChatMessage("user", answers[topic])]
    step = await ai.next_question(messages, language=language, may_finish=True)
    assert step.done and step.question is None
    return messages


def test_it_satisfies_the_port() -> None:
    ai: AIProvider = OfflineAnalyst()
    assert ai.name == MODEL_NAME == "offline-analyst"


@pytest.mark.parametrize("language", ["en", "he"])
async def test_five_labelled_questions_then_done(language: str) -> None:
    ai = OfflineAnalyst()
    messages = [SYSTEM]
    questions = []
    for _ in TOPICS:
        step = await ai.next_question(messages, language=language, may_finish=True)
        assert step.question is not None and not step.done
        assert step.question.startswith(PREFIX[language])
        assert step.usage.model == MODEL_NAME
        assert step.usage.completion_tokens == len(step.question) // 4
        questions.append(step.question)
        messages += [ChatMessage("assistant", step.question), ChatMessage("user", "answer")]
    assert len(set(questions)) == len(TOPICS)
    assert all("Student A" in q for q in questions)
    final = await ai.next_question(messages, language=language, may_finish=True)
    assert final.done and final.question is None


async def test_questions_are_in_the_requested_language() -> None:
    ai = OfflineAnalyst()
    he = await ai.next_question([SYSTEM], language="he", may_finish=True)
    en = await ai.next_question([SYSTEM], language="en", may_finish=True)
    assert he.question and any("\u05d0" <= ch <= "\u05ea" for ch in he.question)
    assert en.question and en.question.startswith("(Offline analyst) ")


async def test_it_is_deterministic() -> None:
    first = await OfflineAnalyst().next_question([SYSTEM], language="en", may_finish=False)
    second = await OfflineAnalyst().next_question([SYSTEM], language="en", may_finish=False)
    assert first == second


async def test_keeps_asking_when_it_may_not_finish() -> None:
    ai = OfflineAnalyst()
    messages = await interview(ai, ANSWERS_EN, "en")
    step = await ai.next_question(messages, language="en", may_finish=False)
    assert not step.done
    assert step.question and step.question.startswith(PREFIX["en"])


async def test_it_does_not_finish_early_even_if_allowed() -> None:
    ai = OfflineAnalyst()
    step = await ai.next_question([SYSTEM], language="en", may_finish=True)
    assert not step.done


async def test_analysis_is_built_from_the_answers_english() -> None:
    ai = OfflineAnalyst()
    messages = await interview(ai, ANSWERS_EN, "en")
    reply = await ai.produce_analysis(messages, language="en")
    result = reply.result
    assert result.strengths == ["Reads fluently", "Great at drawing!", "Helps friends"]
    assert result.weaknesses == ["Struggles with long written tasks", "Loses focus after lunch"]
    assert any("Struggles with long written tasks" in r for r in result.recommendations)
    assert any("visual examples" in r for r in result.recommendations)
    assert any("two close friends" in r for r in result.recommendations)
    assert result.learningStyle.startswith("(Offline analyst) ")
    assert "visual examples" in result.learningStyle
    assert "calm, curious" in result.learningStyle
    assert 0 < result.confidence <= MAX_CONFIDENCE
    assert AnalysisResult.model_validate(json.loads(reply.raw)) == result
    assert reply.usage.model == MODEL_NAME
    assert reply.usage.completion_tokens == len(reply.raw) // 4
    assert reply.usage.prompt_tokens == sum(len(m.content) // 4 for m in messages)


async def test_analysis_in_hebrew() -> None:
    ai = OfflineAnalyst()
    messages = await interview(ai, ANSWERS_HE, "he")
    result = (await ai.produce_analysis(messages, language="he")).result
    assert result.strengths == ["קורא בשטף", "מצייר יפה"]
    assert result.weaknesses == ["מתקשה במשימות כתיבה ארוכות"]
    assert result.learningStyle.startswith("(מנתח לא מקוון) ")
    assert "דוגמאות חזותיות" in result.learningStyle


async def test_empty_interview_still_gives_a_valid_low_confidence_analysis() -> None:
    result = (await OfflineAnalyst().produce_analysis([SYSTEM], language="en")).result
    assert result.strengths and result.weaknesses and result.recommendations
    assert result.learningStyle.startswith("(Offline analyst) ")
    assert result.confidence == pytest.approx(0.1)


async def test_confidence_grows_with_what_the_teacher_wrote_and_is_capped() -> None:
    ai = OfflineAnalyst()
    short = await interview(ai, dict.fromkeys(TOPICS, "Fine."), "en")
    long = await interview(ai, dict.fromkeys(TOPICS, "A detailed observation. " * 3), "en")
    huge = await interview(ai, dict.fromkeys(TOPICS, "A detailed observation. " * 100), "en")
    c_short = (await ai.produce_analysis(short, language="en")).result.confidence
    c_long = (await ai.produce_analysis(long, language="en")).result.confidence
    c_huge = (await ai.produce_analysis(huge, language="en")).result.confidence
    assert c_short < c_long < c_huge == MAX_CONFIDENCE == 0.6


async def test_answers_are_matched_by_question_not_only_by_position() -> None:
    # The engine may have asked its own question first; topics still follow the question text.
    ai = OfflineAnalyst()
    strengths_q = PREFIX["en"] + "What are Student A's main strengths?"
    messages = [
        SYSTEM,
        ChatMessage("user", "Some context."),
        ChatMessage("assistant", "Custom question from elsewhere?"),
        ChatMessage("user", "Overall fine."),
        ChatMessage("assistant", strengths_q),
        ChatMessage("user", "Kind to others."),
    ]
    result = (await ai.produce_analysis(messages, language="en")).result
    assert result.strengths == ["Kind to others"]


async def _analysed(answers: list[str]) -> float:
    """Confidence of the offline interview as far as `answers` go (each after its question)."""
    ai = OfflineAnalyst()
    messages = [SYSTEM]
    for answer in answers:
        step = await ai.next_question(messages, language="en", may_finish=False)
        assert step.question is not None
        messages += [ChatMessage("assistant", step.question), ChatMessage("user", answer)]
    return (await ai.produce_analysis(messages, language="en")).result.confidence


def _confidence(answers: list[str]) -> float:
    return asyncio.run(_analysed(answers))


ANSWER = st.text(
    alphabet=st.characters(categories=["L", "N", "Zs", "P"]), min_size=1, max_size=300
).filter(str.strip)


@settings(max_examples=100, deadline=None)
@given(answers=st.lists(ANSWER, max_size=7), extra=ANSWER)
def test_confidence_never_drops_when_another_answer_is_given(
    answers: list[str], extra: str
) -> None:
    assert _confidence(answers) <= _confidence([*answers, extra]) <= MAX_CONFIDENCE


@settings(max_examples=100, deadline=None)
@given(answers=st.lists(ANSWER, min_size=1, max_size=7), which=st.integers(0), more=ANSWER)
def test_confidence_never_drops_when_an_answer_says_more(
    answers: list[str], which: int, more: str
) -> None:
    longer = list(answers)
    longer[which % len(answers)] += " " + more
    assert _confidence(answers) <= _confidence(longer)


@settings(max_examples=100, deadline=None)
@given(fewer=st.lists(ANSWER, max_size=4), more=st.lists(ANSWER, min_size=1, max_size=6))
def test_more_answers_never_give_less_confidence_however_long_the_fewer_were(
    fewer: list[str], more: list[str]
) -> None:
    longer_interview = (more * 6)[: len(fewer) + len(more)]
    assert _confidence(fewer) <= _confidence(longer_interview)


def test_a_whole_short_interview_outweighs_one_long_answer() -> None:
    # Before: one 1,000-character answer gave 60 %, five short answers 12 %.
    one_long = _confidence(["He reads a lot and talks about books with everyone. " * 20])
    five_short = _confidence(["Calm.", "Reads well.", "Spelling.", "Visually.", "Has friends."])
    full = _confidence(["A detailed observation of the child in class. " * 5] * len(TOPICS))
    assert one_long < five_short < full == MAX_CONFIDENCE


@pytest.mark.parametrize(
    ("language", "asking"), [("en", "What do you mean?"), ("he", "מה זאת אומרת?")]
)
def test_a_teacher_asking_what_a_question_means_gets_it_in_other_words_and_it_is_not_evidence(
    language: str, asking: str
) -> None:
    async def run() -> None:
        ai = OfflineAnalyst()
        messages = [SYSTEM]
        first = await ai.next_question(messages, language=language, may_finish=True)
        messages += [ChatMessage("assistant", first.question or ""), ChatMessage("user", "calm")]
        strengths = await ai.next_question(messages, language=language, may_finish=True)
        messages += [ChatMessage("assistant", strengths.question or "")]
        messages += [ChatMessage("user", asking)]
        again = await ai.next_question(messages, language=language, may_finish=True)
        assert again.question and again.question != strengths.question
        assert ("In other words" if language == "en" else "במילים אחרות") in again.question
        messages += [ChatMessage("assistant", again.question)]
        messages += [ChatMessage("user", "Draws beautifully.")]
        after = await ai.next_question(messages, language=language, may_finish=True)
        difficulties = "Where does" if language == "en" else "במה"
        assert after.question and difficulties in after.question
        result = (await ai.produce_analysis(messages, language=language)).result
        assert result.strengths == ["Draws beautifully"]
        assert asking not in json.dumps(result.model_dump(), ensure_ascii=False)

    asyncio.run(run())


@pytest.mark.parametrize(
    "answer",
    ["What a reader she is: she finished three books this month.", "Whatever works", "מה שעובד"],
)
def test_an_answer_that_only_starts_like_a_question_is_an_answer(answer: str) -> None:
    assert not is_clarifying(answer)
