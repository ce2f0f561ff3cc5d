"""CSV export of the analyses a user may see: teacher edits applied, private notes never.

The file is UTF-8 with a byte-order mark, which is what makes Excel read Hebrew correctly.
Cells that a spreadsheet would take for a formula (=, +, -, @ first) are prefixed with an
apostrophe. Every export, empty or not, leaves one EXPORT audit row listing the student ids.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.audit import record, service
from core.models import Analysis, AuditAction, School, Student, User
from core.periods import SCHOOL_TZ, Period
from core.scopes import Scope, resolve_scope
from core.sections import LIST_SECTIONS, SECTIONS
from core.summary_queries import PER_SCHOOL_PLANS, analysis_filter
from core.themes import edited, effective_confidence, effective_text, joined
from core.uow import UnitOfWork

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _filename(scope: Scope, period: Period | None) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", scope.value or "").strip("-")
    when = period.label if period else "all"
    return f"analyses-{scope.kind}{'-' + slug if slug else ''}-{when}.csv"


@service
async def export_analyses(
    *, uow: UnitOfWork, actor: Actor, scope: Scope | None = None, period: Period | None = None
) -> ExportFile:
    """Every analysis in the scope and period the actor may see, as CSV (one row each)."""
    scope = scope or Scope()
    resolved = await resolve_scope(uow, actor, scope)
    await uow.session.execute(PER_SCHOOL_PLANS)
    statement = (
        select(
            Analysis.id,
            Analysis.student_id,
            Analysis.created_at,
            Analysis.status,
            School.code,
            Student.student_id,
            Student.first_name,
            Student.last_name,
            Student.grade_level,
            User.email,
            User.first_name + " " + User.last_name,
            *[joined(section) for section in LIST_SECTIONS],
            effective_text("learningStyle"),
            effective_confidence(),
            *[edited(s) for s in SECTIONS],
            Analysis.flagged_for_review,
            Analysis.total_tokens,
            Analysis.estimated_cost,
        )
        .select_from(Analysis)
        .join(Student, Student.id == Analysis.student_id)
        .join(School, School.id == Student.school_id)
        .join(User, User.id == Analysis.teacher_id)
        .where(*analysis_filter(actor, resolved, period))
        .order_by(Analysis.created_at, Analysis.id)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    students: set[uuid.UUID] = set()
    count = 0
    for row in await uow.session.execute(statement):
        analysis_id, student_id, created_at, status, *rest = row
        people, lists = rest[:7], rest[7:10]
        style, confidence = rest[10], rest[11]
        changed = [s for s, flag in zip(SECTIONS, rest[12:17], strict=True) if flag]
        flagged, tokens, cost = rest[17:20]
        writer.writerow(
            _cell(value)
            for value in (
                str(analysis_id),
                created_at.astimezone(SCHOOL_TZ).isoformat(timespec="seconds"),
                str(status),
                *people,
                *lists,
                style,
                "" if confidence is None else f"{confidence:.2f}",
                ";".join(changed),
                "yes" if flagged else "no",
                tokens or 0,
                f"{cost or 0:.4f}",
            )
        )
        students.add(student_id)
        count += 1
    ordered = tuple(sorted(students, key=str))
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
    return ExportFile(
        _filename(scope, period), (BOM + buffer.getvalue()).encode("utf-8"), count, ordered
    )
