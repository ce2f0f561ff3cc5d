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
from core.prompts import restate_instruction
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

# The same question in other words, with an example, for a teacher who asks what it means.
_EXPLAINED: dict[str, dict[str, str]] = {
    "en": {
        "overall": "In other words: in a sentence or two, what is Student A like this year? "
        "For example: “curious and talkative, but rushes written work”.",
        "strengths": "In other words: what does Student A do well, in lessons or outside them? "
        "For example: “solves maths problems quickly” or “helps classmates”.",
        "difficulties": "In other words: what is hard for Student A right now? For example: "
        "“loses focus in long reading tasks”.",
        "learning": "In other words: when does Student A learn well: alone or in a group, with "
        "pictures, hands-on, with repetition?",
        "social": "In other words: how does Student A get along with classmates, and how do "
        "they behave in lessons?",
        "more": "In other words: is there anything we have not covered, such as what you have "
        "already tried?",
    },
    "he": {
        "overall": "במילים אחרות: במשפט או שניים, איך Student A השנה? לדוגמה: "
        "„סקרן/ית ופעיל/ה, אבל ממהר/ת בעבודות כתובות”.",
        "strengths": "במילים אחרות: במה Student A טוב/ה, בשיעורים או מחוצה להם? לדוגמה: "
        "„פותר/ת תרגילים מהר” או „עוזר/ת לחברים”.",
        "difficulties": "במילים אחרות: מה קשה ל-Student A עכשיו? לדוגמה: "
        "„מאבד/ת ריכוז במשימות קריאה ארוכות”.",
        "learning": "במילים אחרות: מתי Student A לומד/ת טוב: לבד או בקבוצה, עם תמונות, "
        "בעשייה, בחזרה?",
        "social": "במילים אחרות: איך Student A מסתדר/ת עם חברי הכיתה, ואיך ההתנהגות בשיעורים?",
        "more": "במילים אחרות: יש משהו שעוד לא דיברנו עליו, כמו מה שכבר ניסית?",
    },
}
# A teacher asking what a question means ("what do you mean?", "מה זאת אומרת?") is asking, not
# answering: the question comes again in other words, and the message is not evidence.
_CLARIFYING = re.compile(
    r"^(what do you mean|what does (that|it) mean|what\?|i don'?t understand|i do not understand"
    r"|can you explain|could you explain|explain|meaning|huh|מה זאת אומרת|מה זה אומר|מה הכוונה"
    r"|למה (את|אתה) מתכוו|לא הבנתי|מה\?|תסביר|תסבירי|אפשר להסביר)",
    re.IGNORECASE,
)
CLARIFYING_LENGTH = 40  # characters: a longer message is an answer, whatever it starts with


def is_clarifying(text: str) -> bool:
    """The teacher asks what the question means rather than answering it."""
    said = text.strip()
    return len(said) <= CLARIFYING_LENGTH and bool(_CLARIFYING.match(said))


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


def _explained_topic(question: str) -> str | None:
    for language, explained in _EXPLAINED.items():
        for topic, text in explained.items():
            if question.strip() in (PREFIX[language] + text, text):
                return topic
    return None


def _topic_of(question: str, ordinal: int) -> str:
    """Which topic an assistant question asked about: by its text, else by its position."""
    for language, questions in _QUESTIONS.items():
        for topic, text in questions.items():
            if question.strip() == PREFIX[language] + text or question.strip() == text:
                return topic
    explained = _explained_topic(question)
    if explained is not None:
        return explained
    return TOPICS[ordinal] if ordinal < len(TOPICS) else "more"


def _asked(messages: Sequence[ChatMessage]) -> int:
    """Questions asked so far, a question asked again in other words counting once."""
    questions = [m.content for m in messages if m.role == "assistant"]
    return sum(1 for q in questions if _explained_topic(q) is None)


def _answers_by_topic(messages: Sequence[ChatMessage]) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    # Text the teacher wrote before the first question is the overall picture.
    topic, asked = "overall", 0
    for message in messages:
        if message.role == "assistant":
            topic = _topic_of(message.content, asked)
            asked += _explained_topic(message.content) is None
        elif message.role == "user" and message.content.strip():
            if not is_clarifying(message.content):
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
        asked = _asked(messages)
        prompt_tokens = sum(_tokens(m.content) for m in messages)
        last = messages[-1] if messages else None
        if last is not None and last.role == "user" and is_clarifying(last.content) and asked:
            topic = TOPICS[asked - 1] if asked <= len(TOPICS) else "more"
            question = PREFIX[lang] + _EXPLAINED[lang][topic]
            usage = self._usage(prompt_tokens, _tokens(question))
            return InterviewStep(question=question, done=False, usage=usage)
        restating = last is not None and last.content == restate_instruction(lang)
        if restating and asked:  # the teacher switched languages: the waiting question, in `lang`
            topic = TOPICS[asked - 1] if asked <= len(TOPICS) else "more"
            question = PREFIX[lang] + _QUESTIONS[lang][topic]
            usage = self._usage(prompt_tokens, _tokens(question))
            return InterviewStep(question=question, done=False, usage=usage)
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
