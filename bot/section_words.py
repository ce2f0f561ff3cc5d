"""The words for the sections of an analysis a teacher may edit, and how a message names one.

Read by the review menu (`bot.render`) and by `edit` (`bot.handlers`): a word the menu offers
is a word `edit` reads.
"""

from __future__ import annotations

import re

from core.sections import EDITABLE_SECTIONS

# Words for the sections a teacher may edit; the first of each language is offered.
SECTION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "strengths": {"en": ("strengths",), "he": ("חוזקות",)},
    "weaknesses": {"en": ("difficulties", "weaknesses"), "he": ("קשיים",)},
    "recommendations": {"en": ("recommendations",), "he": ("המלצות",)},
    "learningStyle": {"en": ("style", "learning style"), "he": ("סגנון", "סגנון למידה")},
}
assert tuple(SECTION_WORDS) == EDITABLE_SECTIONS


def section_word(language: str, section: str) -> str:
    """The word offered for editing `section`."""
    return SECTION_WORDS[section]["he" if language == "he" else "en"][0]


# A section's name is its first word or two, on the message's first line.
_LEADING = re.compile(r"\s*(\S+)(?:[ \t]+(\S+))?")


def section_named(text: str) -> str | None:
    """The section `text` names (a word of either language, or its number in the menu)."""
    folded = " ".join(text.lower().split())
    if folded.isdecimal() and 1 <= int(folded) <= len(EDITABLE_SECTIONS):
        return EDITABLE_SECTIONS[int(folded) - 1]
    for section, words in SECTION_WORDS.items():
        if folded in (*words["en"], *words["he"], section.lower()):
            return section
    return None


def section_and_text(argument: str) -> tuple[str | None, str]:
    """The section `argument` starts with ("strengths Reads well", "2 Reads well", "סגנון
    למידה ...") and the text after it, its lines kept; (None, argument) when it names none."""
    match = _LEADING.match(argument)
    if match is None:
        return None, argument
    first, second = match.group(1), match.group(2)
    if second is not None and (section := section_named(f"{first} {second}")):
        return section, argument[match.end() :].strip()
    section = section_named(first)
    if section is not None:
        return section, argument[match.end(1) :].strip()
    return None, argument
