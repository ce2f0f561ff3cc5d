"""Turning an analysis into a message: teacher edits first, Hebrew or English headings."""

from __future__ import annotations

from typing import Any

from bot.commands import Parsed
from bot.events import Button, Reply
from bot.i18n import isolate, t
from bot.section_words import section_word
from core.sections import EDITABLE_SECTIONS, LIST_SECTIONS, SECTIONS

__all__ = ["LIST_SECTIONS", "SECTIONS", "review_buttons", "review_prompt", "review_reply"]

# `awaiting` in review while "Discard this draft?" waits for its yes or no: cancelling closes
# the analysis for good, edits and all, so a draft is never dropped on one word.
DISCARD_ASKED = "discard?"


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
    *,
    unsaved: str | None = None,
    in_review: bool = False,
) -> str:
    """The analysis text, ending with the draft line naming the reviewing teacher (or, for a
    draft its teacher never saved, the teacher and what became of it: `unsaved`, a status; or,
    `in_review`, that the teacher is reviewing it now and nothing is saved yet)."""
    data = effective(results, edits)
    lines = [t(language, "review_title", name=student_name), ""]  # the caller isolates names
    for section in LIST_SECTIONS:
        lines.append(f"{t(language, section)}:")
        lines.extend(f"• {item}" for item in data.get(section, []))
        lines.append("")
    lines.append(f"{t(language, 'learningStyle')}: {data.get('learningStyle', '')}")
    lines.append(f"{t(language, 'confidence')}: {round(float(data.get('confidence', 0)) * 100)}%")
    lines.append("")
    if in_review:  # not "reviewed by": the teacher has not saved it yet
        lines.append(t(language, "draft_in_review_line"))
    elif unsaved is None:
        lines.append(t(language, "draft_line", teacher=isolate(teacher_name)))
    else:
        teacher = isolate(teacher_name)
        lines.append(t(language, "draft_unsaved_line", teacher=teacher, status=unsaved))
    return "\n".join(lines)


def review_buttons(language: str) -> tuple[Button, ...]:
    """The review menu, in the order its numbers are read (`3` is the third button)."""
    edits = [
        Button(t(language, "edit", section=t(language, s)), f"edit:{s}") for s in EDITABLE_SECTIONS
    ]
    return (
        Button(t(language, "save"), "save"),
        *edits,
        Button(t(language, "flag"), "flag"),
        Button(t(language, "note"), "note"),
        Button(t(language, "discard"), "discard"),
    )


def review_menu(language: str, *lines: str) -> Reply:
    """`lines`, then what the review understands, with the review buttons."""
    return Reply("\n".join([*lines, t(language, "in_review")]), review_buttons(language))


def review_prompt(language: str, awaiting: str | None, *lines: str) -> list[Reply]:
    """`lines`, then what the review waits for: the menu, a section's name, a note or the new
    text of a section (so a command run in between never leaves the teacher guessing)."""
    if awaiting is None:
        return [review_menu(language, *lines)]
    before = [Reply("\n".join(lines))] if lines else []
    if awaiting == "section":
        return [*before, section_buttons(language)]
    if awaiting == "note":
        return [*before, Reply(t(language, "note_prompt"))]
    if awaiting == DISCARD_ASKED:
        return [*before, discard_question(language)]
    section = t(language, awaiting.split(":", 1)[1])
    return [*before, Reply(t(language, "edit_prompt", section=section))]


def discard_question(language: str) -> Reply:
    """Asked before `cancel` drops a draft in review: yes cancels it, no shows it again."""
    buttons = (
        Button(t(language, "cancel_draft_yes"), "cancel:yes"),
        Button(t(language, "cancel_draft_no"), "resume"),
    )
    return Reply(t(language, "cancel_draft_confirm"), buttons)


def section_buttons(language: str) -> Reply:
    """Which section to edit: by word, number or button."""
    lines = [t(language, "edit_which")] + [
        f"{i}. {section_word(language, s)}" for i, s in enumerate(EDITABLE_SECTIONS, 1)
    ]
    buttons = tuple(Button(t(language, s), f"edit:{s}") for s in EDITABLE_SECTIONS)
    return Reply("\n".join(lines), buttons)


def review_reply(
    language: str,
    student_name: str,
    teacher_name: str,
    results: dict[str, Any],
    edits: dict[str, Any] | None,
) -> Reply:
    """The analysis with its review menu."""
    text = render_analysis(language, student_name, teacher_name, results, edits, in_review=True)
    return review_menu(language, text, "")


def menu_choice(parsed: Parsed, awaiting: str | None, language: str) -> Parsed:
    """A typed number (`3`, `#3`) in review, with nothing awaited, is the review menu's button
    of that number."""
    text = parsed.argument.strip().lstrip("#") if parsed.verb is None else ""
    if awaiting is None and text.isdecimal():
        buttons = review_buttons(language)
        if 1 <= int(text) <= len(buttons):
            verb, _, argument = buttons[int(text) - 1].action.partition(":")
            return Parsed(verb, argument, True)
    return parsed
