"""OfflineAnalyst: a deterministic AIProvider for running without an OpenAI key."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from core.ports.ai import (
    AnalysisReply,
    AnalysisResult,
    ChatMessage,
    InterviewStep,
    Usage,
)
from core.themes import NOTHING_DESCRIBED

MODEL_NAME = "offline-analyst"
MIN_CONFIDENCE = 0.1
MAX_CONFIDENCE = 0.6
DETAILED = 200  # characters on one topic that count as a detailed answer
TOPICS = ("overall", "strengths", "difficulties", "learning", "social")
PREFIX = {"he": "(מנתח לא מקוון) ", "en": "(Offline analyst) "}

_QUESTIONS: dict[str, dict[str, str]] = {
    "en": {
        "overall": "How would you describe Student A overall this year?",
        "strengths": "What are Student A's main strengths?",
        "difficulties": "Where does Student A struggle most?",
        "learning": "How does Student A learn best?",
        "social": "How does Student A get on socially, and how is their behaviour in class?",
        "more": "Is there anything else about Student A you would like to add?",
    },
    "he": {
        "overall": "איך היית מתאר/ת את Student A באופן כללי השנה?",
        "strengths": "מהן החוזקות העיקריות של Student A?",
        "difficulties": "במה Student A מתקשה במיוחד?",
        "learning": "איך Student A לומד/ת הכי טוב?",
        "social": "איך Student A מסתדר/ת חברתית, ומה לגבי ההתנהגות בכיתה?",
        "more": "יש עוד משהו על Student A שתרצה/י להוסיף?",
    },
}

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "no_strengths": NOTHING_DESCRIBED["en"]["strengths"],
        "no_difficulties": NOTHING_DESCRIBED["en"]["weaknesses"],
        "support": "Plan targeted support for: {}",
        "build_on": "Build on what works: {}",
        "social": "Keep the social and behavioural picture in view: {}",
        "follow_up": "Talk with Student A and review progress in two weeks.",
        "style": "Learns best as follows: {}",
        "no_style": "Not enough information about how Student A learns best.",
        "overall": "Overall: {}",
    },
    "he": {
        "no_strengths": NOTHING_DESCRIBED["he"]["strengths"],
        "no_difficulties": NOTHING_DESCRIBED["he"]["weaknesses"],
        "support": "לתכנן תמיכה ממוקדת עבור: {}",
        "build_on": "להישען על מה שעובד: {}",
        "social": "לשים לב לתמונה החברתית וההתנהגותית: {}",
        "follow_up": "לשוחח עם Student A ולבחון את ההתקדמות בעוד שבועיים.",
        "style": "לומד/ת הכי טוב כך: {}",
        "no_style": "אין מספיק מידע על הדרך שבה Student A לומד/ת הכי טוב.",
        "overall": "באופן כללי: {}",
    },
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[\n;•]+")


def _lang(language: str) -> str:
    return language if language in _QUESTIONS else "en"


def _tokens(text: str) -> int:
    return len(text) // 4


def _sentences(texts: Sequence[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for piece in _SENTENCE_END.split(text):
            piece = piece.strip(" \t-*.,")
            if piece:
                found.append(piece)
    return found


def _topic_of(question: str, ordinal: int) -> str:
    """Which topic an assistant question asked about: by its text, else by its position."""
    for language, questions in _QUESTIONS.items():
        for topic, text in questions.items():
            if question.strip() == PREFIX[language] + text or question.strip() == text:
                return topic
    return TOPICS[ordinal] if ordinal < len(TOPICS) else "more"


def _answers_by_topic(messages: Sequence[ChatMessage]) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    # Text the teacher wrote before the first question is the overall picture.
    topic, asked = "overall", 0
    for message in messages:
        if message.role == "assistant":
            topic = _topic_of(message.content, asked)
            asked += 1
        elif message.role == "user" and message.content.strip():
            answers.setdefault(topic, []).append(message.content.strip())
    return answers


def evidence_confidence(answers: dict[str, list[str]]) -> float:
    """Confidence from the evidence: how many topics were answered, then how fully.

    Each answered topic (the follow-up "more" is one too, counting at most len(TOPICS)) lifts
    confidence one step; how much was written, up to DETAILED characters a topic, fills the step
    below it. So answering another topic never lowers confidence, however long the others were,
    and neither does writing more; offline rules never earn more than MAX_CONFIDENCE.
    """
    fullness = sorted(
        (min(1.0, sum(map(len, said)) / DETAILED) for said in answers.values() if said),
        reverse=True,
    )[: len(TOPICS)]
    if not fullness:
        return MIN_CONFIDENCE
    steps = len(fullness) - 1 + sum(fullness) / len(fullness)
    return round(MIN_CONFIDENCE + (MAX_CONFIDENCE - MIN_CONFIDENCE) * steps / len(TOPICS), 2)


class OfflineAnalyst:
    """Fixed five-question interview and a rule-based analysis built from the answers."""

    @property
    def name(self) -> str:
        """The pseudo model name used in usage records."""
        return MODEL_NAME

    async def next_question(
        self, messages: Sequence[ChatMessage], *, language: str, may_finish: bool
    ) -> InterviewStep:
        """The next question of the fixed sequence; `done` after the last one if allowed."""
        lang = _lang(language)
        asked = sum(1 for m in messages if m.role == "assistant")
        prompt_tokens = sum(_tokens(m.content) for m in messages)
        if asked >= len(TOPICS) and may_finish:
            return InterviewStep(question=None, done=True, usage=self._usage(prompt_tokens, 0))
        topic = TOPICS[asked] if asked < len(TOPICS) else "more"
        question = PREFIX[lang] + _QUESTIONS[lang][topic]
        return InterviewStep(
            question=question, done=False, usage=self._usage(prompt_tokens, _tokens(question))
        )

    async def produce_analysis(
        self, messages: Sequence[ChatMessage], *, language: str
    ) -> AnalysisReply:
        """An analysis assembled from the teacher's answers, sentence by sentence."""
        lang = _lang(language)
        text = _TEXT[lang]
        answers = _answers_by_topic(messages)
        strengths = _sentences(answers.get("strengths", []))
        weaknesses = _sentences(answers.get("difficulties", []))
        learning = _sentences(answers.get("learning", []))
        social = _sentences(answers.get("social", []))
        overall = _sentences(answers.get("overall", []) + answers.get("more", []))

        recommendations = [text["support"].format(w) for w in weaknesses]
        recommendations += [text["build_on"].format(s) for s in learning[:2]]
        recommendations += [text["social"].format(s) for s in social[:2]]
        recommendations.append(text["follow_up"])

        style = text["style"].format(" ".join(learning)) if learning else text["no_style"]
        if overall:
            style += " " + text["overall"].format(" ".join(overall))

        confidence = evidence_confidence(answers)
        result = AnalysisResult(
            strengths=strengths or [text["no_strengths"]],
            weaknesses=weaknesses or [text["no_difficulties"]],
            recommendations=recommendations,
            learningStyle=PREFIX[lang] + style,
            confidence=confidence,
        )
        raw = json.dumps(result.model_dump(), ensure_ascii=False)
        prompt_tokens = sum(_tokens(m.content) for m in messages)
        return AnalysisReply(result=result, raw=raw, usage=self._usage(prompt_tokens, _tokens(raw)))

    def _usage(self, prompt_tokens: int, completion_tokens: int) -> Usage:
        return Usage(
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, model=MODEL_NAME
        )
