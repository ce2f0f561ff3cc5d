"""A student's disclosure log and full record, for a parent's or eligible student's request.

The disclosure log is every audit row naming the student: its resource_id is the student's id,
or its metadata lists the student in `studentIds` (lists, searches, analyses, imports,
retention), found through the GIN index of migration 0004. The full record holds everything
stored about the student (soft-deleted rows and private notes included) plus that log, as
JSON and the log again as CSV; producing it is audited as EXPORT.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from core.actor import Actor
from core.audit import record, service
from core.errors import InvalidInput, StudentNotFound
from core.models import (
    Analysis,
    AnalysisConversation,
    AuditAction,
    AuditLog,
    Class,
    ClassEnrollment,
    School,
    Student,
    User,
)
from core.models.analysis import NOTES_FOR_ACTOR
from core.policy import require_admin, visible_students
from core.search import fold, search_statement
from core.services.audit_queries import (
    DEFAULT_PAGE_SIZE,
    AuditEntry,
    AuditPage,
    audited_page,
    newest_first_of_few,
    parse_cursor,
)
from core.uow import UnitOfWork
from core.views import StudentView

FORMAT = "growth-engine/student-record@1"
MAX_CANDIDATES = 5
# The literal key (not a bind parameter) so the planner matches the expression index.
STUDENT_IDS: ColumnClause[Any] = literal_column("(audit_logs.metadata -> 'studentIds')")
STUDENT_FIELDS = (
    "id first_name last_name student_id grade_level date_of_birth gender notes "
    "enrollment_date is_active created_at updated_at deleted_at"
)
CLASS_FIELDS = "id name subject grade_level section academic_year deleted_at"
ANALYSIS_FIELDS = (
    "id status failure_reason created_at updated_at deleted_at results teacher_edits "
    "flagged_for_review session_duration total_tokens estimated_cost"
)
TURN_FIELDS = "sequence_number role content tokens created_at"
# (CSV header, key in the JSON entry): the disclosure log for people, not programs.
CSV_COLUMNS = (
    ("time_utc", "at"),
    ("user_email", "userEmail"),
    ("user_role", "userRole"),
    ("action", "action"),
    ("resource", "resource"),
    ("resource_id", "resourceId"),
    ("channel", "channel"),
    ("changed_fields", "changedFields"),
    ("operation", "operation"),
    ("outcome", "outcome"),
    ("audit_id", "id"),
)


@dataclass(frozen=True)
class Disclosures:
    """A page of a student's disclosure log, newest first."""

    student: StudentView
    entries: AuditPage


@dataclass(frozen=True)
class StudentRecord:
    """A student's full record: the JSON document and the disclosure log as CSV."""

    student: StudentView
    document: dict[str, Any]
    analyses: int
    disclosures: int

    @property
    def basename(self) -> str:
        """File name stem shared by both files (the id: names may be redacted or Hebrew)."""
        return f"student-record-{self.student.id}"

    def json_bytes(self) -> bytes:
        """The whole record as UTF-8 JSON."""
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode("utf-8")

    def csv_bytes(self) -> bytes:
        """The disclosure log, oldest first, as CSV (BOM, so Excel reads the Hebrew right)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header for header, _ in CSV_COLUMNS])
        for entry in self.document["disclosureLog"]:
            writer.writerow([_cell(entry.get(key)) for _, key in CSV_COLUMNS])
        return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("platform", ""))
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def names_student(student_id: uuid.UUID) -> ColumnElement[bool]:
    """Audit rows about the student, or listing the student among `studentIds`."""
    sid = str(student_id)
    return or_(AuditLog.resource_id == sid, STUDENT_IDS.bool_op("?")(sid))


async def _student(uow: UnitOfWork, actor: Actor, query: str) -> Student:
    """By id, else by school student number or name; deleted students included (admins)."""
    raw = query.strip()
    visible = visible_students(actor, include_deleted=True)
    try:
        student_uuid: uuid.UUID | None = uuid.UUID(raw)
    except ValueError:
        student_uuid = None
    if student_uuid is not None:
        student = await uow.session.scalar(
            select(Student).where(Student.id == student_uuid, visible)
        )
        if student is None:
            raise StudentNotFound(raw)
        return student
    folded = await fold(uow.session, raw) if raw else ""
    if not folded:
        raise InvalidInput("student", "give a name, a student number or an id")
    rows = (await uow.session.execute(search_statement(folded, raw, visible, 50))).all()
    if not rows:
        raise StudentNotFound(raw)
    best = [s for s, rank in rows if rank == rows[0][1]]  # ranked best first
    if len(best) > 1:
        shown = "; ".join(
            f"{s.first_name} {s.last_name} ({s.grade_level}) {s.id}" for s in best[:MAX_CANDIDATES]
        )
        raise InvalidInput("student", f"{len(best)} students match: {shown}; give the id")
    return best[0]


@service
async def student_disclosures(
    *,
    uow: UnitOfWork,
    actor: Actor,
    student: str,
    before: str | uuid.UUID | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Disclosures:
    """Who read or changed what about a student, newest first (admin only)."""
    require_admin(actor, resource="AuditLog")
    cursor = parse_cursor(before, limit)
    row = await _student(uow, actor, student)
    rows = (
        await uow.session.scalars(newest_first_of_few(names_student(row.id), cursor, limit))
    ).all()
    entries = audited_page(
        uow, actor, rows, cursor, limit, row.id, student_ids=[row.id], operation="byStudent"
    )
    await uow.commit()
    return Disclosures(StudentView.of(row), entries)


@functools.cache
def _names(names: str) -> tuple[tuple[str, str], ...]:
    """Each of the space-separated column names with its camelCase key, worked out once."""
    pairs = []
    for name in names.split():
        head, *rest = name.split("_")
        pairs.append((name, head + "".join(part.title() for part in rest)))
    return tuple(pairs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def _fields(row: Any, names: str) -> dict[str, Any]:
    """The named columns of a row (or keys of a dict), camelCase keys, JSON-ready values."""
    # A record of a Year-3 student writes about 170 rows this way: the keys are worked out
    # once per process, not once per row.
    get = row.get if isinstance(row, dict) else lambda n: getattr(row, n)
    return {key: _jsonable(get(name)) for name, key in _names(names)}


def _person(row: Any, prefix: str = "") -> dict[str, Any]:
    """A user as the record names them: id, email, role and name (columns `prefix`+name)."""
    get = {n: getattr(row, prefix + n) for n in ("id", "email", "role", "first_name", "last_name")}
    return {**_fields(get, "id email role"), "name": f"{get['first_name']} {get['last_name']}"}


# The record reads rows as tuples (Core selects), not ORM objects: loading each audit row,
# analysis and turn as a tracked object cost most of the export's time (Year 3: ~88 of 130 ms).
_PERSON = ("id", "email", "role", "first_name", "last_name")
_TEACHER = [getattr(User.__table__.c, n).label(f"teacher_{n}") for n in _PERSON]
_CLASS = [getattr(Class.__table__.c, n).label(f"class_{n}") for n in CLASS_FIELDS.split()]
# Of an audit row's metadata only what the log shows (AuditEntry.of): a school's export names
# every student of the school, so each such row's whole metadata is ~30 kB of ids, and a
# Year-3 student's log read and decoded them all (~300 ms for a log of 1,200 rows).
# The lists are cut out in one step (`metadata - keys`): building the shown object key by key
# detoasted the ~30 kB value once per key, nine times per row (Year 3: a record of 1,500 log
# rows spent most of its 130 ms there). AuditEntry.of keeps only the shown keys of the rest.
_ID_LISTS: ColumnClause[Any] = literal_column("ARRAY['studentIds', 'analysisIds']::text[]")
_SHOWN = AuditLog.__table__.c.metadata.op("-", return_type=JSONB)(_ID_LISTS)
_AUDIT = [_SHOWN.label("metadata_") if c.name == "metadata" else c for c in AuditLog.__table__.c]


async def _enrollments(uow: UnitOfWork, student_id: uuid.UUID) -> list[dict[str, Any]]:
    e = ClassEnrollment.__table__.c
    rows = await uow.session.execute(
        select(e.enrolled_at, e.dropped_at, *_CLASS, *_TEACHER)
        .select_from(ClassEnrollment)
        .join(Class, Class.id == ClassEnrollment.class_id)
        .join(User, User.id == Class.teacher_id)
        .where(ClassEnrollment.student_id == student_id)
        .order_by(ClassEnrollment.enrolled_at, ClassEnrollment.id)
    )
    return [
        {
            "class": {key: _jsonable(getattr(r, f"class_{n}")) for n, key in _names(CLASS_FIELDS)},
            "teacher": _person(r, "teacher_"),
            **_fields(r, "enrolled_at dropped_at"),
        }
        for r in rows
    ]


async def _analyses(
    uow: UnitOfWork, student_id: uuid.UUID, log: list[tuple[AuditEntry, dict[str, Any]]]
) -> list[dict[str, Any]]:
    a = Analysis.__table__.c
    rows = (
        await uow.session.execute(
            select(
                *[getattr(a, n) for n in ANALYSIS_FIELDS.split()],
                NOTES_FOR_ACTOR.label("private_notes"),
                *_TEACHER,
            )
            .select_from(Analysis)
            .join(User, User.id == Analysis.teacher_id)
            .where(Analysis.student_id == student_id)
            .order_by(Analysis.created_at, Analysis.id)
        )
    ).all()
    turns: dict[uuid.UUID, list[dict[str, Any]]] = {r.id: [] for r in rows}
    t = AnalysisConversation.__table__.c
    for turn in await uow.session.execute(
        select(t.analysis_id, *[getattr(t, n) for n in TURN_FIELDS.split()])
        .where(t.analysis_id.in_(list(turns)))
        .order_by(t.analysis_id, t.sequence_number)
    ):
        turns[turn.analysis_id].append(_fields(turn, TURN_FIELDS))
    history: dict[str, list[dict[str, Any]]] = {}
    for e, shown in log:
        if e.resource == "Analysis" and e.resource_id is not None:
            history.setdefault(e.resource_id, []).append(shown)
    return [
        {
            **_fields(r, ANALYSIS_FIELDS),
            "privateNotes": r.private_notes,
            "teacher": _person(r, "teacher_"),
            "conversation": turns[r.id],
            # Its edits, flags, notes and status changes in order, from the audit trail.
            "history": history.get(str(r.id), []),
        }
        for r in rows
    ]


@service
async def export_student_record(*, uow: UnitOfWork, actor: Actor, student: str) -> StudentRecord:
    """Everything held about one student, with its disclosure log (admin only; EXPORT)."""
    require_admin(actor, resource="Student")
    row = await _student(uow, actor, student)
    # The school and the transaction's time in one round trip (the record's statements are
    # small: round trips were a third of its time in the server).
    school = (
        await uow.session.execute(
            select(School.id, School.code, School.name, func.now().label("now")).where(
                School.id == row.school_id
            )
        )
    ).one()
    stmt = select(*_AUDIT).where(names_student(row.id)).order_by(AuditLog.created_at, AuditLog.id)
    # Each entry as the document shows it, once: an analysis's history and the disclosure log
    # show the same entries.
    log = [(e, e.as_json()) for e in map(AuditEntry.of, await uow.session.execute(stmt))]
    analyses = await _analyses(uow, row.id, log)
    document = {
        "format": FORMAT,
        "generatedAt": _jsonable(school.now),
        "generatedBy": actor.email,
        "student": _fields(row, STUDENT_FIELDS),
        "school": _fields(school, "id code name"),
        "enrollments": await _enrollments(uow, row.id),
        "analyses": analyses,
        "disclosureLog": [shown for _entry, shown in log],
    }
    record(
        uow,
        actor,
        AuditAction.EXPORT,
        "Student",
        row.id,
        student_ids=[row.id],
        operation="fullRecord",
        analyses=len(analyses),
        disclosures=len(log),
    )
    await uow.commit()
    return StudentRecord(StudentView.of(row), document, len(analyses), len(log))
