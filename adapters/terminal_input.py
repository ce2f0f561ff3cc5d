"""The terminal chat's input: whole messages of any length, from any bytes.

Piped, standard input is read as bytes, line by line, and decoded as UTF-8 with replacement
characters: NUL, `\\xff` or a Latin-1 line used to end the chat with a traceback. At a
terminal, GNU readline reads the line (through `input()`): it takes keys one by one, so a
line is not cut at the 4,095 characters of the terminal's own line editing, and with
bracketed paste a pasted block of several lines arrives as one message (Enter sends it).

Either way a line ending in a backslash continues on the next line, into the same message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import BinaryIO

CONTINUATION = "\\"
PROMPT, MORE = "> ", "… "

ReadLine = Callable[[str], "str | None"]


def decode(raw: bytes) -> str:
    """A line's bytes as text; what is not UTF-8 becomes U+FFFD instead of an error."""
    return raw.decode("utf-8", errors="replace")


def piped(stream: BinaryIO) -> ReadLine:
    """Lines from a pipe or file, without their line ending; None at the end of input."""

    def read(prompt: str) -> str | None:
        raw = stream.readline()
        if not raw:
            return None
        return decode(raw).rstrip("\r\n")

    return read


def interactive() -> ReadLine:
    """Lines typed (or pasted) at the terminal through readline; None on Ctrl-D."""
    import readline

    # CPython turns bracketed paste off; on, a paste is one edit, newlines included.
    readline.parse_and_bind("set enable-bracketed-paste on")
    # input() decodes with the stream's error handler: replace, never raise.
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return read


def read_message(read_line: ReadLine, *, prompt: bool) -> str | None:
    """The next message: one line, or several joined where a line ends in a backslash."""
    parts: list[str] = []
    while True:
        line = read_line((MORE if parts else PROMPT) if prompt else "")
        if line is None:
            return "\n".join(parts) if parts else None
        if line.endswith(CONTINUATION):
            parts.append(line[: -len(CONTINUATION)])
            continue
        parts.append(line)
        return "\n".join(parts)


def standard_input() -> tuple[ReadLine, bool]:
    """The reader for this process's standard input, and whether it is a person at a terminal."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return interactive(), True
    return piped(sys.stdin.buffer), False
