"""Terminal text: right-to-left lines in visual order for terminals without bidi, and columns.

Terminals either reorder right-to-left text themselves (logical order: Konsole, GNOME Terminal
and other VTE terminals, macOS Terminal, mlterm) or print characters left to right as they come
(visual order needed: xterm, the Linux console, Windows Terminal, VS Code's and many SSH
clients). For the latter python-bidi's Unicode Bidirectional Algorithm (UAX #9) reorders each
line. Its Rust backend stops after rule L2, so the two display rules it leaves to the caller
are applied here: L3 (Hebrew points stay after their letter, where a terminal draws them) and
L4 (brackets in right-to-left runs are mirrored, with python-bidi's own mirror table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from bidi import get_base_level, get_display
from bidi.mirror import MIRRORED
from wcwidth import wcswidth, wcwidth

BidiMode = Literal["logical", "visual"]
BIDI_MODES: tuple[BidiMode, ...] = ("logical", "visual")

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# After reordering, a right-to-left letter's points come before it (UAX #9, L3).
POINTS_BEFORE_LETTER = re.compile("([\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]+)(.)")
# A list line: marker ("•" or "3."), name, and a trailing "(detail)" column.
LIST_ITEM = re.compile(r"^(\s*(?:•|\d+\.) )(.+?) (\([^()]*\))$")


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: points and direction marks take none, CJK two."""
    text = BIDI_CONTROLS.sub("", text)
    width = wcswidth(text)
    if width >= 0:
        return int(width)
    return sum(max(0, wcwidth(c)) for c in text)  # control characters count as nothing


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def align_columns(lines: list[str]) -> list[str]:
    """Runs of two or more list lines padded so their detail column lines up on screen."""
    out: list[str] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        if len(run) < 2:
            out.extend(m.string for m in run)
        else:
            marker = max(display_width(m[1]) for m in run)
            name = max(display_width(m[2]) for m in run)
            detail = max(display_width(m[3]) for m in run)
            # Every line gets the same width, so the columns also line up when a terminal
            # shows right-to-left lines from the right edge.
            out.extend(
                " " * (marker - display_width(m[1]))
                + m[1]
                + _pad(m[2], name)
                + " "
                + _pad(m[3], detail)
                for m in run
            )
        run.clear()

    for line in lines:
        match = LIST_ITEM.match(line)
        if match:
            run.append(match)
        else:
            flush()
            out.append(line)
    flush()
    return out


def _mirror_outside_isolates(shown: str) -> str:
    """Mirror brackets of a right-to-left line except inside left-to-right isolates (L4)."""
    chars = []
    depth = 0
    # Reordering reverses the isolate: it now opens with its PDI and closes with its LRI.
    for c in shown:
        if c == PDI:
            depth += 1
        elif c in (LRI, RLI, FSI):
            depth = max(0, depth - 1)
        chars.append(MIRRORED.get(c, c) if depth == 0 else c)
    return "".join(chars)


def visual_line(line: str) -> str:
    """One line in the left-to-right order a terminal without bidi support must receive."""
    if not line.strip():
        return line
    shown = get_display(line)
    if get_base_level(line) == 1:
        shown = _mirror_outside_isolates(shown)
    shown = POINTS_BEFORE_LETTER.sub(r"\2\1", shown)
    return BIDI_CONTROLS.sub("", shown)


def for_terminal(text: str, mode: BidiMode) -> str:
    """`text` as the terminal should receive it: unchanged (logical) or reordered (visual)."""
    if mode == "logical":
        return text
    return "\n".join(visual_line(line) for line in text.split("\n"))


# Terminals known to do (or not do) their own bidirectional layout, by what they set.
def detect_bidi(environ: Mapping[str, str], is_tty: bool) -> BidiMode:
    """Best guess of the mode for the terminal described by `environ` (logical when unsure)."""
    if not is_tty:
        return "logical"
    program = environ.get("TERM_PROGRAM", "")
    if environ.get("KONSOLE_VERSION") or program in ("Apple_Terminal", "mlterm"):
        return "logical"
    vte = environ.get("VTE_VERSION", "")
    if vte.isdigit():
        return "logical" if int(vte) >= 5800 else "visual"  # VTE does bidi since 0.58
    if environ.get("XTERM_VERSION") or environ.get("WT_SESSION") or program == "vscode":
        return "visual"
    if environ.get("TERM") == "linux":
        return "visual"
    return "logical"
