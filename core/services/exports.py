"""CSV export of the analyses a user may see: teacher edits applied, private notes never.

The file is UTF-8 with a byte-order mark, which is what makes Excel read Hebrew correctly.
Cells that a spreadsheet would take for a formula (=, +, -, @ first) are prefixed with an
apostrophe. Each row's line is written by PostgreSQL (core/csv_sql.py). Every export, empty or
not, leaves one EXPORT audit row listing the student ids.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    Text,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from core import planning
from core.actor import Actor
from core.audit import record, service
from core.csv_sql import fixed, guarded, line, text_cell
from core.db import AnySelect
from core.file_names import file_name
from core.models import Analysis, AuditAction, School, Student, User, UserRole
from core.periods import SCHOOL_TZ, Period
from core.planning import Settings
from core.scope_words import Scope
from core.scoped_statements import read_scoped
from core.scopes import ResolvedScope, resolve_scope
from core.summary_queries import analysis_filter
from core.uow import UnitOfWork

BOM = "\ufeff"
COLUMNS = (
    "analysis_id",
    "created_at",
    "status",
    "school_code",
    "student_number",
    "student_first_name",
    "student_last_name",
    "grade",
    "teacher_email",
    "teacher_name",
    "strengths",
    "weaknesses",
    "recommendations",
    "learning_style",
    "confidence",
    "edited_sections",
    "flagged_for_review",
    "total_tokens",
    "estimated_cost",
)


@dataclass(frozen=True)
class ExportFile:
    """The CSV bytes, a file name, and which analyses and students it holds."""

    filename: str
    content: bytes
    rows: int
    student_ids: tuple[uuid.UUID, ...]
    # "class 5" where no class is called "5": the value (the file holds grade 5).
    class_read_as_grade: str | None = None


def _period_words(period: Period | None) -> str:
    """The period by its dates, which still say when once "this year" has passed."""
    if period is None:
        return "all-time"
    return f"{period.first.isoformat()}-to-{period.last.isoformat()}"


async def _filename(
    uow: UnitOfWork, actor: Actor, scope: Scope, resolved: ResolvedScope, period: Period | None
) -> str:
    """What the file holds, in words a person recognises: the school's code, the class,
    grade, teacher or student by name, and the period (`core.file_names` makes it safe)."""
    # An admin's grade or teacher covers every school; anyone else's lies in their own.
    own = None if actor.role is UserRole.ADMIN else actor.school_id
    school_id = resolved.school_id or own
    school = await uow.session.get(School, school_id) if school_id else None
    code = school.code if school is not None else ""
    kind = resolved.scope.kind
    if kind == "school":
        # A teacher's "school" is their own students (all they may see), and the file says so.
        about = ["my-students"] if actor.role is UserRole.TEACHER else []
    elif kind == "district":
        code, about = "", ["district", (scope.value or "").upper()]
    elif kind == "student":
        about = [resolved.name]
    else:  # grade 5, class מתמטיקה ה'1, teacher דנה לוי
        about = [kind, resolved.name]
    return file_name(["analyses", code, *about, _period_words(period)], "csv")


Writer = Callable[[SQLColumnExpression[Any]], SQLColumnExpression[Any]]


def _bare(cell: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    return cell


@functools.cache
def _cells() -> tuple[tuple[ColumnElement[Any], Writer], ...]:
    """Each CSV column's value (labelled c0, c1, ...) and how it is written, built once.

    Built per export (with the list sections, before 0027 stored those) they took ~12-28 ms of
    Python, more than the audit row; they name no actor, scope or period.
    """
    # (the text of a column, how it is written): free text guarded and quoted, a number
    # guarded (a negative one starts with "-"), the rest (ids, times, fixed words) bare.
    free = (
        School.code,
        Student.student_id,
        Student.first_name,
        Student.last_name,
        Student.grade_level,
        User.email,
        User.first_name + " " + User.last_name,
    )
    cells: list[tuple[SQLColumnExpression[Any], Writer]] = [
        (cast(Analysis.id, Text), _bare),
        (func.to_char(Analysis.created_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'), _bare),
        (cast(Analysis.status, Text), _bare),
        *[(value, text_cell) for value in free],
        # strengths .. edited_sections, six cells already written, stored with the analysis
        # (0027): worked out here, they were half of a Year-3 school export's SQL.
        (Analysis.export_sections, _bare),
        (case((Analysis.flagged_for_review.is_(True), "yes"), else_="no"), _bare),
        (cast(func.coalesce(Analysis.total_tokens, 0), Text), _bare),
        (fixed(func.coalesce(Analysis.estimated_cost, 0), 4), guarded),
    ]
    return tuple((cell.label(f"c{n}"), write) for n, (cell, write) in enumerate(cells))


@functools.cache
def _line() -> ColumnElement[str]:
    """The CSV line of a row of `computed` (its columns c0, c1, ... by name), built once."""
    return line(*[write(column(f"c{n}")) for n, (_cell, write) in enumerate(_cells())])


def _statement(actor: Actor, resolved: ResolvedScope, period: Period | None) -> AnySelect:
    """One row: how many analyses, their CSV lines oldest first, and their students' ids.

    Aggregated in the database: read row by row, the lines cost more client CPU than the
    database spent writing them (Year 3, a school's 2,481 rows: 16.5 ms of process CPU).
    """
    # Each cell computed once, in a subquery kept whole (OFFSET 0): flattened, the guard and
    # the quoting would repeat a cell's expression (the list sections' sub-SELECTs) 3 times.
    computed = (
        select(
            Analysis.student_id,
            Analysis.created_at,
            Analysis.id,
            *[cell for cell, _write in _cells()],
        )
        .select_from(Analysis)
        .join(Student, Student.id == Analysis.student_id)
        .join(School, School.id == Student.school_id)
        .join(User, User.id == Analysis.teacher_id)
        .where(*analysis_filter(actor, resolved, period))
        .offset(0)
        .subquery("computed")
    )
    lines = select(
        computed.c.student_id, computed.c.created_at, computed.c.id, _line().label("line")
    ).subquery("lines")
    newline = literal_column("E'\\r\\n'", Text)
    ordered = aggregate_order_by(newline, lines.c.created_at, lines.c.id)
    return select(
        func.count().label("rows"),
        # As UTF-8 bytes, the file's own: decoded into a str and encoded back, a school's
        # lines (about 1.2 MB) cost 8 ms of client CPU.
        func.convert_to(func.coalesce(func.string_agg(lines.c.line, ordered), ""), "UTF8").label(
            "lines"
        ),
        func.array_agg(lines.c.student_id.distinct()).label("students"),
    )


_HEADER = (BOM + ",".join(COLUMNS) + "\r\n").encode("utf-8")
# Times are written in the school's zone, with its offset (ISO 8601, whole seconds).
_SCHOOL_ZONE = ("timezone", SCHOOL_TZ.key)


def _settings(arguments: Mapping[str, Any]) -> Settings:
    """The scope's plans and the school's time zone, set with the actor check."""
    return (*planning.for_scope(arguments), _SCHOOL_ZONE)


@service(settings=_settings)
async def export_analyses(
    *, uow: UnitOfWork, actor: Actor, scope: Scope | None = None, period: Period | None = None
) -> ExportFile:
    """Every analysis in the scope and period the actor may see, as CSV (one row each)."""
    scope = scope or Scope()
    resolved = await resolve_scope(uow, actor, scope)
    name = await _filename(uow, actor, scope, resolved, period)
    await uow.set_local(*_SCHOOL_ZONE)
    found = await read_scoped(
        uow, "export", actor, resolved, period,
        lambda acting: _statement(acting, resolved, period),
    )  # fmt: skip
    count = int(found["rows"])
    ordered = tuple(sorted(found["students"] or (), key=str))
    record(
        uow,
        actor,
        AuditAction.EXPORT,
        "Analysis",
        student_ids=ordered,
        scope=scope.key,
        period=period.describe() if period else "all",
        rows=count,
        format="csv",
    )
    await uow.commit()
    body: bytes = found["lines"] + b"\r\n" if count else b""
    content = _HEADER + body
    return ExportFile(name, content, count, ordered, resolved.class_read_as_grade)
