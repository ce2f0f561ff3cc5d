"""Add or change sentences in the catalogues: `python -m bot.i18n_port FILE.py` (or `-` for stdin).

FILE holds a Python dict literal shaped like the old hand-made catalogue,
`{"en": {"key": "sentence", ...}, "he": {...}}`; a plural sentence is a tuple of its forms
(English: one, other; Hebrew: one, two, other). Each key is added to (or replaced in)
`bot/locale/LANG.po`, keeping the files' order; review the result with `git diff`.
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALE_DIR

NOISE = ('"Report-Msgid-Bugs-To:', '"POT-Creation-Date:', '"PO-Revision-Date:', '"Last-Translator:')


def port(entries: dict[str, dict[str, str | tuple[str, ...]]], directory: Path = LOCALE_DIR) -> int:
    """Write `entries` into the `.po` files under `directory`; the number of sentences written."""
    written = 0
    for language, sentences in entries.items():
        path = directory / f"{language}.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        for key, text in sentences.items():
            if key in catalog:
                del catalog[key]
            if isinstance(text, tuple):
                catalog.add((key, key), text)
            else:
                catalog.add(key, text)
            written += 1
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, sort_output=False, omit_header=False)
        lines = buffer.getvalue().decode("utf-8").splitlines(keepends=True)
        # Babel's placeholder header fields change on every write; they say nothing here.
        path.write_text("".join(x for x in lines if not x.startswith(NOISE)), "utf-8")
    return written


def main(argv: list[str]) -> int:
    """Read the dict from the file named in `argv` and port it."""
    source = sys.stdin.read() if argv[1:] in ([], ["-"]) else Path(argv[1]).read_text("utf-8")
    count = port(ast.literal_eval(source))
    print(f"{count} sentences written to {LOCALE_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
