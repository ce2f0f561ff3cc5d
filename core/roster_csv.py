"""Roster CSV files (students, classes, enrollments): typed, validated rows.

Pure functions, no database: `parse_roster` returns typed rows or raises `RosterRejected` with
every problem found, each with its line number as a spreadsheet shows it (the header is 1).
Reading the file as text (encoding, delimiter, header, kind) is `core.roster_file`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.cleaning import clean_name
from core.roster_file import (
    COLUMNS,
    KINDS,
    Kind,
    RosterRejected,
    RowError,
    check_header,
    decode,
    infer_kind,
    read_header,
    sniff,
)

__all__ = [
    "COLUMNS",
    "KINDS",
    "ClassRow",
    "EnrollmentRow",
    "Kind",
    "Roster",
    "RosterRejected",
    "Row",
    "RowError",
    "StudentRow",
    "decode",
    "parse_date",
    "parse_roster",
    "sniff",
]

# Columns whose value may be left empty; every other column needs a value on every row.
OPTIONAL: dict[Kind, frozenset[str]] = {
    "students": frozenset({"date_of_birth", "gender"}),
    "classes": frozenset({"subject", "grade_level", "section"}),
    "enrollments": frozenset(),
}
# ISO, or day-first as Israeli spreadsheets write it; US month-first is not accepted.
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
DAY_FIRST_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
DATE_HINT = "use YYYY-MM-DD or DD/MM/YYYY (day first)"
OLDEST_BIRTH_YEAR = 1900
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class StudentRow:
    """A valid line of a students file."""

    line: int
    student_id: str
    first_name: str
    last_name: str
    grade_level: str
    date_of_birth: date | None
    gender: str | None


@dataclass(frozen=True)
class ClassRow:
    """A valid line of a classes file (`teacher_email` lower-cased)."""

    line: int
    name: str
    subject: str | None
    grade_level: str | None
    section: str | None
    academic_year: str
    teacher_email: str


@dataclass(frozen=True)
class EnrollmentRow:
    """A valid line of an enrollments file."""

    line: int
    student_id: str
    class_name: str
    academic_year: str


Row = StudentRow | ClassRow | EnrollmentRow


@dataclass(frozen=True)
class Roster:
    """A parsed, valid file: its kind, the encoding it was read with, and its rows."""

    kind: Kind
    encoding: str
    rows: list[Row]


class BadDate(ValueError):
    """A birth date that is none, or not a plausible one; `rule` names which."""

    def __init__(self, value: str, reason: str, rule: str) -> None:
        super().__init__(reason)
        self.value, self.rule = value, rule


def parse_date(value: str) -> date:
    """A birth date, YYYY-MM-DD or DD/MM/YYYY; ValueError with the reason otherwise."""
    # Regular expressions rather than strptime: 15,000 rows, and no locale-dependent parsing.
    if iso := ISO_DATE.fullmatch(value):
        year, month, day = map(int, iso.groups())
    elif day_first := DAY_FIRST_DATE.fullmatch(value):
        day, month, year = map(int, day_first.groups())
    else:
        raise BadDate(value, f"'{value}' is not a date; {DATE_HINT}", "date_format")
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise BadDate(value, f"'{value}' is not a date; {DATE_HINT}", "date_format") from None
    if year < OLDEST_BIRTH_YEAR or parsed > date.today():
        raise BadDate(value, f"'{value}' is not a plausible birth date", "date_implausible")
    return parsed


def _row(kind: Kind, line: int, v: dict[str, str], errors: list[RowError]) -> Row | None:
    """One typed row, or None after appending its problems to `errors`."""
    before = len(errors)
    for column in COLUMNS[kind]:
        if not v[column] and column not in OPTIONAL[kind]:
            errors.append(RowError(line, column, "empty; a value is required", rule="required"))
    if kind == "students":
        born = None
        if v["date_of_birth"]:
            try:
                born = parse_date(v["date_of_birth"])
            except BadDate as exc:
                value = {"value": exc.value}
                errors.append(RowError(line, "date_of_birth", str(exc), exc.rule, value))
        if len(errors) > before:
            return None
        return StudentRow(
            line,
            v["student_id"],
            v["first_name"],
            v["last_name"],
            v["grade_level"],
            born,
            v["gender"] or None,
        )
    if kind == "classes":
        email = v["teacher_email"].lower()
        if email and not EMAIL.match(email):
            reason, value = f"'{email}' is not an email address", {"value": email}
            errors.append(RowError(line, "teacher_email", reason, "email_format", value))
        if len(errors) > before:
            return None
        return ClassRow(
            line,
            v["name"],
            v["subject"] or None,
            v["grade_level"] or None,
            v["section"] or None,
            v["academic_year"],
            email,
        )
    if len(errors) > before:
        return None
    return EnrollmentRow(line, v["student_id"], v["class_name"], v["academic_year"])


def _key(row: Row) -> tuple[str, str, str, str, dict[str, str]]:
    """What must be unique within a file, how to name it in a reason, and as a rule."""
    if isinstance(row, StudentRow):
        said = {"id": row.student_id}
        return "student_id", row.student_id, f"student_id '{row.student_id}'", "student", said
    if isinstance(row, ClassRow):
        key = f"{row.name}\x00{row.academic_year}"
        said = {"name": row.name, "year": row.academic_year}
        return "name", key, f"class '{row.name}' for {row.academic_year}", "class", said
    key = f"{row.student_id}\x00{row.class_name}\x00{row.academic_year}"
    said = {"id": row.student_id, "name": row.class_name}
    label = f"enrollment of '{row.student_id}' in '{row.class_name}'"
    return "student_id", key, label, "enrollment", said


def parse_roster(data: bytes, kind: Kind | None = None) -> Roster:
    """Every row typed and valid (kind inferred from the header when None), or RosterRejected."""
    text, encoding = decode(data)
    header, records = read_header(text)
    kind = kind or infer_kind(header)
    errors = check_header(kind, header)
    if errors:
        raise RosterRejected(errors)
    if not records:
        raise RosterRejected([RowError(2, None, "no data lines after the header", rule="no_rows")])
    rows: list[Row] = []
    first_seen: dict[str, int] = {}
    for line, cells in records:
        extra = cells[len(header) :]
        named = cells[: len(header)]
        if len(named) < len(header) or any(extra):
            counts = {"n": len(cells), "header": len(header)}
            reason = f"{len(cells)} values, but the header has {len(header)}"
            errors.append(RowError(line, None, reason, rule="cell_count", values=counts))
            continue
        errors.extend(
            RowError(line, None, "a value under a column with no header", rule="no_header_cell")
            for name, cell in zip(header, named, strict=True)
            if cell and not name
        )
        # Names and ids without bidi overrides or zero-width characters: "Li\u200bam" would
        # be a second Liam that looks the same, "\u202eLiam" a name shown reversed.
        values = {name: clean_name(cell) for name, cell in zip(header, named, strict=True)}
        row = _row(kind, line, values, errors)
        if row is None:
            continue
        column, key, label, what, said = _key(row)
        if key in first_seen:
            first = first_seen[key]
            reason = f"duplicate {label}, first on line {first}"
            values = {**said, "first": str(first)}  # a line number, written as the sheet does
            errors.append(RowError(line, column, reason, f"duplicate_{what}", values))
            continue
        first_seen[key] = line
        rows.append(row)
    if errors:
        raise RosterRejected(errors)
    return Roster(kind, encoding, rows)
