"""Roster rows checked against a school and written, one function a kind.

Each writer looks the file's keys up with one set-based query per lookup and rejects the whole
file on any problem before writing; writes go in chunks inside the caller's transaction.
Rows are matched on: students (school, student_id); classes (school, name, academic_year),
undeleted only; enrollments (student, class). The file is the truth for the fields it carries,
so a changed name or an emptied gender is written; nothing absent from the file is touched.
Re-importing an enrollment that was dropped clears `dropped_at` (the student is enrolled again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Boolean, Text, any_, func, literal, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert

from core.models import Class, ClassEnrollment, Student, User, UserRole
from core.roster_csv import ClassRow, EnrollmentRow, RosterRejected, RowError, StudentRow
from core.uow import UnitOfWork

CHUNK = 1000
STUDENT_FIELDS = ("first_name", "last_name", "grade_level", "date_of_birth", "gender")
CLASS_FIELDS = ("subject", "grade_level", "section", "teacher_id")
# True when ON CONFLICT inserted the row rather than updating it (xmax is 0 on a fresh tuple).
INSERTED = literal_column("(xmax = 0)", Boolean).label("inserted")
Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass
class Written:
    """What a writer did: records created and updated, fields changed, ids for the audit row."""

    created: list[uuid.UUID] = field(default_factory=list)
    updated: list[uuid.UUID] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    student_ids: list[uuid.UUID] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _any(values: Sequence[str]) -> Any:
    """`= ANY($1::text[])`: one bind for any number of keys, unlike IN's one bind per key."""
    return any_(literal(list(values), ARRAY(Text)))


def _chunks(rows: Sequence[T]) -> list[Sequence[T]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _upsert_students() -> Any:
    stmt = insert(Student)
    columns = [getattr(Student, f) for f in STUDENT_FIELDS]
    # The WHERE keeps unchanged rows untouched (updated_at stays) even if a concurrent edit
    # made our diff stale; only rows that really differ come back.
    return stmt.on_conflict_do_update(
        index_elements=[Student.school_id, Student.student_id],
        set_={f: stmt.excluded[f] for f in STUDENT_FIELDS},
        where=or_(*(c.is_distinct_from(stmt.excluded[c.key]) for c in columns)),
    ).returning(Student.id, INSERTED)


UPSERT_STUDENTS = _upsert_students()


async def write_students(
    uow: UnitOfWork, school_id: uuid.UUID, rows: list[StudentRow], tick: Progress
) -> Written:
    """Insert new students, update changed ones; a row of a deleted student refuses the file."""
    columns = [getattr(Student, f) for f in STUDENT_FIELDS]
    found = await uow.session.execute(
        select(Student.student_id, Student.deleted_at, *columns).where(
            Student.school_id == school_id,
            Student.student_id == _any([r.student_id for r in rows]),
        )
    )
    existing = {row.student_id: row for row in found}
    deleted = [r for r in rows if (e := existing.get(r.student_id)) and e.deleted_at is not None]
    if deleted:
        reason = "belongs to a deleted student; restore the student first"
        rule = "deleted_student"
        raise RosterRejected([RowError(r.line, "student_id", reason, rule=rule) for r in deleted])
    out = Written()
    for chunk in _chunks(rows):
        values = []
        for r in chunk:
            born = r.date_of_birth and datetime(*r.date_of_birth.timetuple()[:3], tzinfo=UTC)
            new = {
                "first_name": r.first_name,
                "last_name": r.last_name,
                "grade_level": r.grade_level,
                "date_of_birth": born,
                "gender": r.gender,
            }
            old = existing.get(r.student_id)
            changed = {f for f in STUDENT_FIELDS if old is not None and getattr(old, f) != new[f]}
            if old is None or changed:
                out.changed_fields |= changed
                values.append({**new, "school_id": school_id, "student_id": r.student_id})
        if values:
            # executemany of one cached statement: rendering 1,000-row VALUES lists
            # ourselves would cost more CPU than the database spends inserting them.
            for student_id, inserted in await uow.session.execute(UPSERT_STUDENTS, values):
                (out.created if inserted else out.updated).append(student_id)
        tick(len(chunk))
    out.student_ids = out.created + out.updated
    return out


def _teacher_problem(user: Any, school_id: uuid.UUID) -> tuple[str, str] | None:
    """Why the class's teacher cannot teach it, in English and as a rule word; None if they can."""
    if user is None:
        return "no user has this email", "teacher_unknown"
    if user.school_id != school_id:
        return "not on the staff of this school", "teacher_other_school"
    if not user.is_active or user.deleted_at is not None:
        return "the account is inactive", "teacher_inactive"
    if user.role is not UserRole.TEACHER:
        return f"a {user.role.lower()}, not a teacher", "teacher_not_teacher"
    return None


async def _existing_classes(
    uow: UnitOfWork, school_id: uuid.UUID, years: set[str]
) -> dict[tuple[str, str], list[Any]]:
    """Undeleted classes of the school in these years, by (name, academic_year)."""
    columns = [getattr(Class, f) for f in CLASS_FIELDS]
    found = await uow.session.execute(
        select(Class.id, Class.name, Class.academic_year, *columns).where(
            Class.school_id == school_id,
            Class.deleted_at.is_(None),
            Class.academic_year == _any(sorted(years)),
        )
    )
    by_key: dict[tuple[str, str], list[Any]] = {}
    for row in found:
        by_key.setdefault((row.name, row.academic_year), []).append(row)
    return by_key


def _ambiguous(line: int, column: str, count: int) -> RowError:
    reason = f"{count} classes of the school have this name and year; delete the extra ones"
    return RowError(line, column, reason, rule="classes_ambiguous", values={"count": count})


async def write_classes(
    uow: UnitOfWork, school_id: uuid.UUID, rows: list[ClassRow], tick: Progress
) -> Written:
    """Insert new classes, update changed ones; each teacher must teach at the school."""
    emails = sorted({r.teacher_email for r in rows})
    found = await uow.session.execute(
        select(
            User.id, User.email, User.role, User.school_id, User.is_active, User.deleted_at
        ).where(func.lower(User.email) == _any(emails))
    )
    users = {u.email.lower(): u for u in found}
    existing = await _existing_classes(uow, school_id, {r.academic_year for r in rows})
    errors = []
    for r in rows:
        if problem := _teacher_problem(users.get(r.teacher_email), school_id):
            reason, rule = f"'{r.teacher_email}': {problem[0]}", problem[1]
            user = users.get(r.teacher_email)
            said = {"email": r.teacher_email, "role": user.role.lower() if user else ""}
            errors.append(RowError(r.line, "teacher_email", reason, rule, said))
        if (count := len(existing.get((r.name, r.academic_year), []))) > 1:
            errors.append(_ambiguous(r.line, "name", count))
    if errors:
        raise RosterRejected(errors)
    out = Written()
    inserts, updates = [], []
    for r in rows:
        new = {
            "subject": r.subject,
            "grade_level": r.grade_level,
            "section": r.section,
            "teacher_id": users[r.teacher_email].id,
        }
        old = next(iter(existing.get((r.name, r.academic_year), [])), None)
        if old is None:
            inserts.append({**new, "name": r.name, "academic_year": r.academic_year})
        elif changed := {f for f in CLASS_FIELDS if getattr(old, f) != new[f]}:
            out.changed_fields |= changed
            updates.append({**new, "id": old.id})
            out.updated.append(old.id)
    if inserts:
        values = [{**v, "school_id": school_id} for v in inserts]
        out.created += (await uow.session.scalars(insert(Class).returning(Class.id), values)).all()
    if updates:
        await uow.session.execute(update(Class), updates)  # ORM bulk UPDATE by primary key
    tick(len(rows))
    out.extra["classIds"] = [str(i) for i in out.created + out.updated]
    return out


# Existing enrollments come back only when a drop is undone; untouched ones stay untouched.
ENROLL = (
    insert(ClassEnrollment)
    .on_conflict_do_update(
        index_elements=[ClassEnrollment.student_id, ClassEnrollment.class_id],
        set_={"dropped_at": None},
        where=ClassEnrollment.dropped_at.is_not(None),
    )
    .returning(ClassEnrollment.id, ClassEnrollment.student_id, ClassEnrollment.class_id, INSERTED)
)


async def write_enrollments(
    uow: UnitOfWork, school_id: uuid.UUID, rows: list[EnrollmentRow], tick: Progress
) -> Written:
    """Enroll (or re-enroll) known students in known classes; the rest refuses the file."""
    found = await uow.session.execute(
        select(Student.student_id, Student.id).where(
            Student.school_id == school_id,
            Student.deleted_at.is_(None),
            Student.student_id == _any(sorted({r.student_id for r in rows})),
        )
    )
    students: dict[str | None, uuid.UUID] = {sid: pk for sid, pk in found}
    classes = await _existing_classes(uow, school_id, {r.academic_year for r in rows})
    errors = []
    for r in rows:
        if r.student_id not in students:
            reason = "no student with this student_id in the school (import students first)"
            errors.append(RowError(r.line, "student_id", reason, rule="student_unknown"))
        matches = classes.get((r.class_name, r.academic_year), [])
        if not matches:
            reason = f"no class '{r.class_name}' for {r.academic_year} (import classes first)"
            named = {"name": r.class_name, "year": r.academic_year}
            errors.append(RowError(r.line, "class_name", reason, "class_unknown", named))
        elif len(matches) > 1:
            errors.append(_ambiguous(r.line, "class_name", len(matches)))
    if errors:
        raise RosterRejected(errors)
    out = Written()
    student_ids: set[uuid.UUID] = set()
    class_ids: set[uuid.UUID] = set()
    for chunk in _chunks(rows):
        values = [
            {
                "student_id": students[r.student_id],
                "class_id": classes[(r.class_name, r.academic_year)][0].id,
            }
            for r in chunk
        ]
        result = await uow.session.execute(ENROLL, values)
        for enrollment_id, student_id, class_id, inserted in result:
            (out.created if inserted else out.updated).append(enrollment_id)
            student_ids.add(student_id)
            class_ids.add(class_id)
        tick(len(chunk))
    if out.updated:
        out.changed_fields.add("dropped_at")
    out.student_ids = sorted(student_ids)
    out.extra["classIds"] = sorted(str(i) for i in class_ids)
    return out


WRITERS = {"students": write_students, "classes": write_classes, "enrollments": write_enrollments}
