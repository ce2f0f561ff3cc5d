"""Terminal display: visual order for terminals without bidi, and list columns by display width."""

from __future__ import annotations

import re

import pytest
from bidi import get_display

from adapters.shell import render
from adapters.terminal_text import (
    BIDI_CONTROLS,
    align_columns,
    detect_bidi,
    display_width,
    visual_line,
)
from bot.events import Button, Reply
from bot.i18n import isolate

SENTENCE = "הניתוח של " + isolate("Liam O'Brien") + " מוכן, אפשר לעבור עליו עכשיו"
NIQQUD_LIST = "\n".join(
    [
        "התלמידים שלך:",
        "• מִרְיָם לֵוִי (5)",
        f"• {isolate('Liam O’Brien')} (5)",
        "• שָׁלוֹם בֶּן-דָּוִד (10)",
        "• דוד כהן (6)",
    ]
)


def test_visual_mode_matches_the_bidi_librarys_reordering() -> None:
    shown = render(Reply(SENTENCE), "visual")
    assert shown == BIDI_CONTROLS.sub("", get_display(SENTENCE))
    # The English name reads left to right inside the reversed Hebrew sentence.
    assert "Liam O'Brien" in shown and shown.startswith("וישכע")


def test_logical_mode_leaves_the_text_as_it_is() -> None:
    assert render(Reply(SENTENCE)) == SENTENCE


def test_visual_mode_keeps_niqqud_on_its_letter_and_mirrors_brackets() -> None:
    line = "• מִרְיָם לֵוִי (5)"
    # Letters with their points, reversed as units: a terminal draws points on the cell before.
    clusters = re.findall(r"[\u05d0-\u05ea][\u0591-\u05c7]*", "מִרְיָם לֵוִי")
    words = "".join(reversed(clusters))
    shown = visual_line(line)
    assert shown.startswith("(5) ")
    assert shown.replace(" ", "").startswith("(5)" + words)
    assert shown.endswith(" •")


def test_buttons_are_reordered_too() -> None:
    shown = render(Reply("בחרו:", (Button("שמירה", "save"),)), "visual")
    assert shown.split("\n") == [":ורחב", "הרימש [#1]"]


def test_display_width_counts_no_column_for_points_and_direction_marks() -> None:
    assert display_width("מִרְיָם") == display_width("מרים") == 4
    assert display_width(isolate("Liam")) == 4
    assert display_width("中文") == 4


@pytest.mark.parametrize("mode", ["logical", "visual"])
def test_list_columns_line_up_with_niqqud_names(mode: str) -> None:
    lines = render(Reply(NIQQUD_LIST), mode).split("\n")[1:]  # type: ignore[arg-type]
    # Every list line takes the same width, and the detail column starts at the same column.
    assert len({display_width(line) for line in lines}) == 1
    if mode == "logical":
        assert len({display_width(line[: line.index("(")]) for line in lines}) == 1
    else:
        ends = {display_width(line[: line.index(")") + 1]) for line in lines if "דוד" in line}
        assert len(ends) == 1


def test_a_single_list_line_and_other_text_are_left_alone() -> None:
    assert align_columns(["כותרת", "• דוד (5)", "סוף"]) == ["כותרת", "• דוד (5)", "סוף"]


def test_numbered_choices_align_past_nine() -> None:
    lines = [f"{n}. {'מִרְיָם' if n % 2 else 'דוד כהן'} (5)" for n in range(1, 12)]
    aligned = align_columns(lines)
    assert len({display_width(line[: line.index("(")]) for line in aligned}) == 1
    assert aligned[0].startswith(" 1. ") and aligned[10].startswith("11. ")


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({"XTERM_VERSION": "XTerm(379)"}, True, "visual"),
        ({"TERM": "linux"}, True, "visual"),
        ({"WT_SESSION": "x"}, True, "visual"),
        ({"VTE_VERSION": "5402"}, True, "visual"),
        ({"VTE_VERSION": "7600"}, True, "logical"),
        ({"KONSOLE_VERSION": "230805"}, True, "logical"),
        ({"TERM_PROGRAM": "Apple_Terminal"}, True, "logical"),
        ({"XTERM_VERSION": "XTerm(379)"}, False, "logical"),
        ({}, True, "logical"),
    ],
)
def test_detection_guesses_from_the_terminals_environment(
    environ: dict[str, str], tty: bool, expected: str
) -> None:
    assert detect_bidi(environ, tty) == expected
