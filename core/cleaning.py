"""Text from outside cleaned before anything stores or parses it: messages, ids and names.

PostgreSQL refuses NUL in text and JSON, and a lone surrogate cannot be encoded as UTF-8 for
the database or Redis: either crashed a turn after it was acknowledged. Bidi overrides and
zero-width characters in a name make two names look alike, or a name display reversed.
"""

from __future__ import annotations

import re

from core.text import nfc

# C0 controls but tab, line feed and carriage return; DEL; lone UTF-16 surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Bidi embeddings, overrides and isolates, marks (LRM, RLM, ALM), zero-width space, joiners,
# word joiner, invisible operators and the byte-order mark.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]")
_SPACES = re.compile(r"\s+")
# Anything clean_name would change but the ends: most names have none, and a roster has
# 15,000 rows, so the common case is one search.
_ODD_IN_NAME = re.compile(_UNSAFE.pattern + "|" + _INVISIBLE.pattern + r"|\s\s|[^\S ]")


def clean_text(value: str) -> str:
    """`value` in NFC without NUL, lone surrogates and control characters but tab and newlines."""
    return nfc(_UNSAFE.sub("", value))


def clean_json(value: object) -> object:
    """A parsed JSON value with NUL, lone surrogates and control characters in its strings
    (keys too) shown as U+FFFD, the replacement character.

    A whole platform payload is stored before it is acknowledged, and PostgreSQL's jsonb refuses
    those as text does. They are replaced rather than removed so that a message made only of
    them still reaches the dialogue as a message, and is answered.
    """
    if isinstance(value, str):
        return _UNSAFE.sub("\ufffd", value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {_UNSAFE.sub("\ufffd", str(key)): clean_json(item) for key, item in value.items()}
    return value


def clean_id(value: object) -> str:
    """A platform id (user, chat, team, event) as a clean one-line string."""
    return _SPACES.sub(" ", clean_text(str(value))).strip()


def clean_name(value: str) -> str:
    """A name as clean text without bidi controls or zero-width characters, single-spaced."""
    if _ODD_IN_NAME.search(value) is None:
        return nfc(value.strip())
    return _SPACES.sub(" ", _INVISIBLE.sub("", clean_text(value))).strip()


def had_unsafe(value: str) -> bool:
    """True when `clean_text` would remove something other than a normalisation."""
    return _UNSAFE.search(value) is not None
