"""A student's disclosure log and full record, for a parent's or eligible student's request.

The disclosure log is every audit row naming the student: its resource_id is the student's id,
or its metadata lists the student in `studentIds` (lists, searches, analyses, imports,
retention), found through the GIN index of migration 0004. The full record holds everything
stored about the student (soft-deleted rows and private notes included) plus that log, as
JSON and the log again as CSV; producing it is audited as EXPORT.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

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
from core.student_record import (
    ANALYSIS_FIELDS,
    AUDIT_COLUMNS,
    CLASS_COLUMNS,
    CLASS_FIELDS,
    FORMAT,
    STUDENT_FIELDS,
    TEACHER_COLUMNS,
    TURN_FIELDS,
    StudentRecord,
    field_keys,
    fields,
    jsonable,
    names_student,
    person,
)
from core.uow import UnitOfWork
from core.views import StudentView

MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Disclosures:
    """A page of a student's disclosure log, newest first."""

    student: StudentView
    entries: AuditPage


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
        raise InvalidInput(
            "student", "give a name, a student number or an id", rule="student_query"
        )
    rows = (await uow.session.execute(search_statement(folded, raw, visible, 50))).all()
    if not rows:
        raise StudentNotFound(raw)
    best = [s for s, rank in rows if rank == rows[0][1]]  # ranked best first
    if len(best) > 1:
        shown = "; ".join(
            f"{s.first_name} {s.last_name} ({s.grade_level}) {s.id}" for s in best[:MAX_CANDIDATES]
        )
        values: dict[str, object] = {"n": len(best), "names": shown}
        raise InvalidInput(
            "student", f"{len(best)} students match: {shown}; give the id",
            rule="students_match", values=values,
        )  # fmt: skip
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


async def _enrollments(uow: UnitOfWork, student_id: uuid.UUID) -> list[dict[str, Any]]:
    e = ClassEnrollment.__table__.c
    rows = await uow.session.execute(
        select(e.enrolled_at, e.dropped_at, *CLASS_COLUMNS, *TEACHER_COLUMNS)
        .select_from(ClassEnrollment)
        .join(Class, Class.id == ClassEnrollment.class_id)
        .join(User, User.id == Class.teacher_id)
        .where(ClassEnrollment.student_id == student_id)
        .order_by(ClassEnrollment.enrolled_at, ClassEnrollment.id)
    )
    return [
        {
            "class": {
                key: jsonable(getattr(r, f"class_{n}")) for n, key in field_keys(CLASS_FIELDS)
            },
            "teacher": person(r, "teacher_"),
            **fields(r, "enrolled_at dropped_at"),
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
                *TEACHER_COLUMNS,
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
        turns[turn.analysis_id].append(fields(turn, TURN_FIELDS))
    history: dict[str, list[dict[str, Any]]] = {}
    for e, shown in log:
        if e.resource == "Analysis" and e.resource_id is not None:
            history.setdefault(e.resource_id, []).append(shown)
    return [
        {
            **fields(r, ANALYSIS_FIELDS),
            "privateNotes": r.private_notes,
            "teacher": person(r, "teacher_"),
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
    stmt = (
        select(*AUDIT_COLUMNS)
        .where(names_student(row.id))
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    # Each entry as the document shows it, once: an analysis's history and the disclosure log
    # show the same entries.
    log = [(e, e.as_json()) for e in map(AuditEntry.of, await uow.session.execute(stmt))]
    analyses = await _analyses(uow, row.id, log)
    document = {
        "format": FORMAT,
        "generatedAt": jsonable(school.now),
        "generatedBy": actor.email,
        "student": fields(row, STUDENT_FIELDS),
        "school": fields(school, "id code name"),
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
