"""Column types that normalise text to NFC on the way into the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from core.text import nfc, nfc_json


class NFCText(TypeDecorator[str]):
    """`text` whose bound values are NFC-normalised, in ORM and Core statements alike."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else nfc(str(value))


class NFCJSONB(TypeDecorator[Any]):
    """`jsonb` whose strings (keys and values) are NFC-normalised before storage."""

    # None is SQL NULL, not the JSON literal null, so `IS NULL` finds "no value".
    impl = JSONB(none_as_null=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else nfc_json(value)
