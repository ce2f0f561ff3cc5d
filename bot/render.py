"""Turning an analysis into a message: teacher edits first, Hebrew or English headings."""

from __future__ import annotations

from typing import Any

from bot.events import Button, Reply
from bot.i18n import isolate, t

LIST_SECTIONS = ("strengths", "weaknesses", "recommendations")
SECTION_KEYS = (*LIST_SECTIONS, "learningStyle", "confidence")
REVIEW_ACTIONS = ("save", "flag", "note", "discard")


def effective(results: dict[str, Any], edits: dict[str, Any] | None) -> dict[str, Any]:
    """The analysis as the teacher wants it: each edited section replaces the AI's."""
    merged = dict(results)
    merged.update(edits or {})
    return merged


def render_analysis(
    language: str,
    student_name: str,
    teacher_name: str,
    results: dict[str, Any],
    edits: dict[str, Any] | None,
) -> str:
    """The analysis text, ending with the draft line naming the reviewing teacher."""
    data = effective(results, edits)
    lines = [t(language, "review_title", name=student_name), ""]  # the caller isolates names
    for section in LIST_SECTIONS:
        lines.append(f"{t(language, section)}:")
        lines.extend(f"• {item}" for item in data.get(section, []))
        lines.append("")
    lines.append(f"{t(language, 'learningStyle')}: {data.get('learningStyle', '')}")
    lines.append(f"{t(language, 'confidence')}: {round(float(data.get('confidence', 0)) * 100)}%")
    lines.append("")
    lines.append(t(language, "draft_line", teacher=isolate(teacher_name)))
    return "\n".join(lines)


def review_reply(
    language: str,
    student_name: str,
    teacher_name: str,
    results: dict[str, Any],
    edits: dict[str, Any] | None,
) -> Reply:
    """The analysis with its review buttons."""
    buttons = [Button(t(language, action), action) for action in REVIEW_ACTIONS]
    buttons[1:1] = [
        Button(t(language, "edit", section=t(language, s)), f"edit:{s}")
        for s in (*LIST_SECTIONS, "learningStyle")
    ]
    text = render_analysis(language, student_name, teacher_name, results, edits)
    return Reply(text, tuple(buttons))
