"""Unicode normalisation of everything we store (NFC), for plain strings and JSON values."""

from __future__ import annotations

import unicodedata
from typing import Any


def nfc(value: str) -> str:
    """Return `value` in Unicode NFC, so composed and decomposed input compare equal."""
    return unicodedata.normalize("NFC", value)


def nfc_json(value: Any) -> Any:
    """NFC-normalise every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_json(k): nfc_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc_json(v) for v in value]
    return value
