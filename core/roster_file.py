"""Roster CSV files as text: their kinds and columns, encoding, delimiter, header, rejection.

Encodings: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1255 (legacy Hebrew Excel).
Columns must be exactly those of the format, in any order; unknown columns are rejected so a
misspelt or unsupported column never silently drops data (empty unnamed columns are ignored).
Every problem carries its line number as a spreadsheet shows it (the header is 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from core.errors import InvalidInput
from core.text import nfc

Kind = Literal["students", "classes", "enrollments"]
KINDS: tuple[Kind, ...] = get_args(Kind)
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "students": ("student_id", "first_name", "last_name", "grade_level", "date_of_birth", "gender"),
    "classes": ("name", "subject", "grade_level", "section", "academic_year", "teacher_email"),
    "enrollments": ("student_id", "class_name", "academic_year"),
}
SAVE_AS = "save the file as 'CSV UTF-8' and try again"
# cp1255 decodes almost any byte, so a Latin-1 file would "succeed" with Hebrew letters
# glued to Latin ones ("Josי"); real Hebrew text never mixes scripts inside a word.
MIXED_SCRIPT = re.compile(r"[A-Za-z][\u05d0-\u05ea]|[\u05d0-\u05ea][A-Za-z]")


@dataclass(frozen=True)
class RowError:
    """One problem: spreadsheet line (header = 1), column (None: the whole line) and why, in
    English (`reason`, for logs and the CLI) and as a rule word with the values that fill it,
    so the chat can say it in the reader's language."""

    line: int
    column: str | None
    reason: str
    # How the problem is said, not which problem it is: no part of comparing two of them.
    rule: str = field(default="", compare=False)
    values: Mapping[str, object] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class RosterRejected(InvalidInput):
    """The file was refused as a whole (nothing imported); `errors` says where and why."""

    code = "roster_rejected"
    resource = "Roster"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.column or ""))
        super().__init__("file", f"{len(self.errors)} problem(s); nothing was imported")

    def report(self, limit: int | None = None) -> str:
        """The problems, one per line, in file order (at most `limit`, then a count)."""
        shown = self.errors if limit is None else self.errors[:limit]
        lines = [str(e) for e in shown]
        if len(self.errors) > len(shown):
            lines.append(f"... and {len(self.errors) - len(shown)} more")
        return "\n".join(lines)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text (NFC) and the encoding that read it; RosterRejected if neither fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1255"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterRejected([_not_text(line, encoding)]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RosterRejected([_not_text(line, encoding)])
    if encoding == "cp1255" and (mixed := MIXED_SCRIPT.search(text)):
        line = text[: mixed.start()].count("\n") + 1
        raise RosterRejected([_not_text(line, encoding)])
    return nfc(text), encoding


def _not_text(line: int, encoding: str) -> RowError:
    if encoding == "utf-16":
        return RowError(line, None, f"invalid UTF-16; {SAVE_AS}", rule="not_utf16")
    found = "neither UTF-8 nor Windows-1255 text"
    return RowError(line, None, f"{found}; {SAVE_AS}", rule="not_text")


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(line, stripped cells) for every record; the delimiter is whichever the header uses most."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            records.append((len(records) + 1, [cell.strip() for cell in record]))
    except csv.Error as exc:
        line, detail = len(records) + 1, str(exc)
        problem = RowError(line, None, f"unreadable CSV: {detail}", rule="unreadable",
                           values={"detail": detail})  # fmt: skip
        raise RosterRejected([problem]) from None
    return records


def infer_kind(header: list[str]) -> Kind:
    """The one kind whose columns the header shares most; RosterRejected if none or a tie."""
    scores = {kind: len(set(header) & set(COLUMNS[kind])) for kind in KINDS}
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    if best == 0 or len(winners) > 1:
        formats = "; ".join(f"{k}: {', '.join(COLUMNS[k])}" for k in KINDS)
        reason = f"cannot tell the kind of file from its header ({formats})"
        values = {"formats": formats}
        raise RosterRejected([RowError(1, None, reason, rule="kind_unknown", values=values)])
    return winners[0]


def read_header(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The lower-cased header cells, and (line, cells) of every non-blank record after it."""
    records = [(line, cells) for line, cells in _records(text) if any(cells)]
    if not records:
        reason = "the file is empty: expected a header line"
        raise RosterRejected([RowError(1, None, reason, rule="empty_file")])
    return [cell.lower() for cell in records[0][1]], records[1:]


def sniff(data: bytes) -> tuple[Kind, int]:
    """The kind of file its header implies and its number of non-blank data lines."""
    text, _ = decode(data)
    header, rows = read_header(text)
    return infer_kind(header), len(rows)


def check_header(kind: Kind, header: list[str]) -> list[RowError]:
    """Problems of a header for this kind: missing, unknown or repeated columns."""
    expected = COLUMNS[kind]
    has = {"kind": kind, "columns": ", ".join(expected)}
    errors = [
        RowError(
            1,
            None,
            f"missing column '{c}' (a {kind} file has: {has['columns']})",
            rule="missing_column",
            values={"column": c, **has},
        )
        for c in expected
        if c not in header
    ]
    seen: set[str] = set()
    for name in filter(None, header):
        if name not in expected:
            reason = f"unknown column (a {kind} file has: {has['columns']})"
            errors.append(RowError(1, name, reason, rule="unknown_column", values=has))
        elif name in seen:
            errors.append(RowError(1, name, "column appears twice", rule="column_twice"))
        seen.add(name)
    return errors
