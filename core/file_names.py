"""File names that say what a file holds ("analyses-DEMO-01-class-מתמטיקה-ה׳1-2026-09-01-to-
2027-08-31.csv"), safe on every file system and chat platform.

Letters and digits of any script are kept (a Hebrew class name stays Hebrew); a slash, a quote,
a colon, control and bidi characters and the like are dropped, spaces become hyphens. The name
is bounded in UTF-8 bytes (file systems count bytes, and a Hebrew letter is two), leaving room
for the suffix the terminal adds to keep every download (adapters/shell.py).
"""

from __future__ import annotations

import re
import unicodedata

from core.text import nfc

# The stem's bound in UTF-8 bytes: 255 is the usual limit of a file name, and the extension
# and a "-YYYYMMDD-HHMMSS-N" suffix must still fit.
MAX_STEM_BYTES = 160
# One part's bound, so a long class or teacher name leaves room for the period.
MAX_PART_CHARS = 40
# An apostrophe after a Hebrew letter is a geresh (ה'1 is ה׳1): kept as the Hebrew sign, which
# no file system or shell reads as a quote.
_GERESH = re.compile(r"(?<=[\u05d0-\u05ea])['׳`’]")
_SEPARATORS = re.compile(r"[\s_/\\|:;,+=]+")
_HYPHENS = re.compile(r"-{2,}")


def _kept(char: str) -> bool:
    """Letters (with their marks), digits, hyphens, dots and the geresh."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category in ("Mn", "Mc") or char in "-.׳"


def name_part(text: str) -> str:
    """`text` as part of a file name: safe characters only, hyphens for spaces, bounded."""
    written = _SEPARATORS.sub("-", _GERESH.sub("׳", nfc(text)))
    kept = "".join(char for char in written if _kept(char))
    return _HYPHENS.sub("-", kept).strip("-.")[:MAX_PART_CHARS].strip("-.")


def file_name(parts: list[str], extension: str) -> str:
    """The parts joined by hyphens (empty ones left out), with `extension`; too long, the
    longest part is shortened (a name, not the period that ends it)."""
    kept = [p for p in (name_part(part) for part in parts) if p] or ["file"]
    while len("-".join(kept).encode("utf-8")) > MAX_STEM_BYTES:
        longest = max(range(len(kept)), key=lambda n: len(kept[n].encode("utf-8")))
        kept[longest] = kept[longest][:-1].rstrip("-.") or "-"
    return "-".join(kept) + f".{extension}"
