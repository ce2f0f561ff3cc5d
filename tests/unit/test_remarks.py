"""A request after a remark is read; a remark that only names a command runs nothing."""

from __future__ import annotations

import pytest

from bot.remarks import after_a_remark
from core.models import UserRole


@pytest.mark.parametrize(
    ("text", "verb", "argument"),
    [
        ("ok I talked to the teacher, mark it as reviewed", "reviewed", ""),
        ("דיברתי עם המורה, תסמן כנבדק", "reviewed", ""),
        ("sorry I was in class. show me my students", "students", ""),
        ("ok I'm back, analyze Emma", "analyze", "Emma"),
        ("oops - cancel", "cancel", ""),
    ],
)
def test_a_request_after_a_remark_is_read(text: str, verb: str, argument: str) -> None:
    parsed = after_a_remark(text, UserRole.PRINCIPAL)
    assert parsed is not None
    assert (parsed.verb, parsed.argument) == (verb, argument)


@pytest.mark.parametrize(
    "text",
    [
        "mark it as reviewed",  # one clause: the reading of the whole message stands
        "the teacher wants me to mark it as reviewed, but not yet",
        "I talked to the teacher. did you mark it as reviewed?",
        "I saw it, flagged",
        "I was in class, history is hard for him",
        "Liam did great today. He is handled",
        "show me my students, mark it as reviewed",  # two requests: neither is guessed at
        "J. Smith",
        "Noah, Liam",
    ],
)
def test_a_remark_runs_nothing(text: str) -> None:
    assert after_a_remark(text, UserRole.PRINCIPAL) is None
