"""What a summary or an export is about: `school [CODE]`, `district CODE`, `grade G`,
`class NAME`, `teacher EMAIL` or `student NAME`, optionally followed by a period.

A scope resolves to SQL conditions inside the actor's visibility: a principal's `school` is
their own (another school's code is refused and audited by the calling service); only an admin
names a district or another school; grade, class, teacher and student are looked up among what
the actor may see (every school for an admin), so a name outside it is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, Uuid, and_, any_, bindparam, exists, func, select
from sqlalchemy.orm import aliased

from core.actor import Actor
from core.errors import AccessDenied, InvalidInput, NotFound, StudentNotFound
from core.models import (
    Analysis,
    Class,
    ClassEnrollment,
    District,
    School,
    Student,
    User,
    UserRole,
)
from core.ordering import name_order
from core.policy import teaches_student, visible_classes
from core.scope_people import MAX_CANDIDATES, find_students, find_teachers
from core.scope_words import KINDS, Scope, grade_number, grade_spellings
from core.text import nfc
from core.uow import UnitOfWork


class AmbiguousStudent(InvalidInput):
    """Several students match the name equally well; `candidates` are "name (grade)"."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        super().__init__("student", f"several students match “{query}”: {', '.join(candidates)}")
        self.query = query
        self.candidates = candidates


class AmbiguousTeacher(InvalidInput):
    """Several teachers the actor may see share the name written; `candidates` are "name
    (email)", the email telling them apart."""

    def __init__(self, name: str, teachers: list[User]) -> None:
        self.name = name
        self.emails = [t.email for t in teachers]
        self.candidates = [f"{t.first_name} {t.last_name} ({t.email})" for t in teachers]
        listed = ", ".join(self.emails)
        super().__init__("teacher", f"several teachers are called “{name}”: {listed}")


class AmbiguousClass(InvalidInput):
    """No class is called what was written, and several have it in their name (`names`)."""

    def __init__(self, value: str, names: list[str]) -> None:
        self.value = value
        self.names = names
        super().__init__("class", f"several classes match “{value}”: {', '.join(names)}")


@dataclass(frozen=True)
class ResolvedScope:
    """A scope as SQL: who belongs (roster), which analyses count, which classes."""

    scope: Scope
    name: str
    roster: ColumnElement[bool]  # on Student: the students the scope covers
    analyses: ColumnElement[bool]  # on Analysis joined to Student: the analyses it counts
    classes: ColumnElement[bool]  # on Class: the classes it covers
    student_id: uuid.UUID | None = None
    # On Student: every student whose analyses may count (the roster, unless the analyses are
    # chosen otherwise, as a teacher's are by author); analyses are read by these students' keys.
    students: ColumnElement[bool] | None = None
    # The one school the scope's analyses lie in, when it is one (their `school_id`, 0017).
    school_id: uuid.UUID | None = None
    # The values of the named parameters in the conditions above (`scope_*`): a statement
    # compiled once from one scope of a kind runs for another with these (core/scoped_statements).
    values: Mapping[str, Any] = field(default_factory=dict)
    # The class value read as a grade ("class 5": no class is called "5"), for the reply to say.
    class_read_as_grade: str | None = None

    @property
    def analysed(self) -> ColumnElement[bool]:
        """`students`, else the roster."""
        return self.roster if self.students is None else self.students


def _ids(name: str, ids: list[uuid.UUID]) -> Any:
    """`= ANY (:name)` of an array parameter: one statement for any number of ids."""
    return any_(bindparam(name, ids, type_=ARRAY(Uuid)))


def _enrolled(class_ids: Any) -> ColumnElement[bool]:
    # Its own alias, correlated to the student only: inside a statement that reads enrollments
    # itself (coverage by class) the table would otherwise be that statement's enrollment row.
    enrollment = aliased(ClassEnrollment)
    return exists(
        select(enrollment.id)
        .where(
            enrollment.student_id == Student.id,
            enrollment.class_id == class_ids,
            enrollment.dropped_at.is_(None),
        )
        .correlate(Student)
    )


async def _school(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    if scope.value is None:
        if actor.school_id is None:
            raise InvalidInput(
                "school", "write the school code after “school”", rule="school_code_after"
            )
        found = await uow.session.get(School, actor.school_id)
    else:
        found = await uow.session.scalar(
            select(School).where(
                func.lower(School.code) == nfc(scope.value).lower(), School.deleted_at.is_(None)
            )
        )
    if actor.role is not UserRole.ADMIN and (found is None or found.id != actor.school_id):
        # Whether that school exists is none of a principal's business.
        raise AccessDenied("other_school", resource="School", resource_id=scope.value)
    if found is None:
        raise NotFound("School", scope.value or "")
    school = bindparam("scope_school_id", found.id, type_=Uuid)
    return ResolvedScope(
        scope,
        found.name,
        Student.school_id == school,
        Student.school_id == school,
        Class.school_id == school,
        school_id=found.id,
        values={"scope_school_id": found.id},
    )


async def _district(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    if actor.role is not UserRole.ADMIN:
        raise AccessDenied("admin_only", resource="District", resource_id=scope.value)
    district = await uow.session.scalar(
        select(District).where(
            func.lower(District.code) == nfc(scope.value or "").lower(),
            District.deleted_at.is_(None),
        )
    )
    if district is None:
        raise NotFound("District", scope.value or "")
    schools = select(School.id).where(
        School.district_id == bindparam("scope_district_id", district.id, type_=Uuid),
        School.deleted_at.is_(None),
    )
    return ResolvedScope(
        scope,
        district.name,
        Student.school_id.in_(schools),
        Student.school_id.in_(schools),
        Class.school_id.in_(schools),
        values={"scope_district_id": district.id},
    )


async def _classes(uow: UnitOfWork, actor: Actor, named: ColumnElement[bool]) -> list[Any]:
    statement = (
        select(Class.id, Class.name, Class.school_id)
        .where(visible_classes(actor), Class.is_active.is_(True), named)
        .order_by(name_order(Class), Class.id)
    )
    return list((await uow.session.execute(statement)).all())


def _grade(scope: Scope) -> ResolvedScope:
    level = (scope.value or "").strip()
    spellings = list(grade_spellings(level))
    named = bindparam("scope_grades", spellings, type_=ARRAY(Text))
    grade = Student.grade_level == any_(named)
    return ResolvedScope(
        scope, level, grade, grade, Class.grade_level == any_(named),
        values={"scope_grades": spellings},
    )  # fmt: skip


async def _class(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    typed = (scope.value or "").strip()
    rows = await _classes(uow, actor, func.ge_fold(Class.name) == func.ge_fold(typed))
    if not rows and grade_number(typed) is not None:
        # "כיתה ה" is how Hebrew speakers say fifth grade (its classes are ה'1, ה'2): a class
        # value that spells a grade, where no class is called that, is the grade; the reply says
        # so, lest "class 5" be taken for a class.
        grade = _grade(Scope("grade", typed))
        return replace(grade, class_read_as_grade=typed)
    if not rows and typed:
        # "ה'1" for "מתמטיקה ה'1": part of a name finds the class when only one has it, and
        # names the ones that do when several have it.
        part = func.strpos(func.ge_fold(Class.name), func.ge_fold(typed)) > 0
        rows = await _classes(uow, actor, part)
        names = list(dict.fromkeys(row.name for row in rows))
        if len(names) > 1:
            raise AmbiguousClass(typed, names[:MAX_CANDIDATES])
    if not rows:
        raise NotFound("Class", scope.value or "")
    ids = [row.id for row in rows]
    enrolled = _enrolled(_ids("scope_class_ids", ids))
    schools = {row.school_id for row in rows}
    return ResolvedScope(
        scope,
        rows[0].name,
        enrolled,
        enrolled,
        Class.id == _ids("scope_class_ids", ids),
        school_id=schools.pop() if len(schools) == 1 else None,
        values={"scope_class_ids": ids},
    )


async def _teacher(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    typed = nfc(scope.value or "").strip()
    found = await find_teachers(uow, actor, typed)
    if not found:
        raise NotFound("Teacher", typed)
    if len(found) > 1:
        raise AmbiguousTeacher(typed, found)
    teacher = found[0]
    named_id = bindparam("scope_teacher_id", teacher.id, type_=Uuid)
    written = select(Analysis.student_id).where(Analysis.teacher_id == named_id).correlate(None)
    return ResolvedScope(
        scope,
        f"{teacher.first_name} {teacher.last_name}",
        teaches_student(named_id),
        Analysis.teacher_id == named_id,
        and_(Class.teacher_id == named_id, Class.is_active.is_(True)),
        students=Student.id.in_(written),
        values={"scope_teacher_id": teacher.id},
    )


async def _student(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    raw = (scope.value or "").strip()
    best = await find_students(uow, actor, raw)
    if not best:
        raise StudentNotFound(raw)
    if len(best) > 1:
        raise AmbiguousStudent(
            raw, [f"{s.first_name} {s.last_name} ({s.grade_level})" for s in best]
        )
    return _one_student(scope, best[0])


def _one_student(scope: Scope, student: Student) -> ResolvedScope:
    named_id = bindparam("scope_student_id", student.id, type_=Uuid)
    in_class = Class.id.in_(
        select(ClassEnrollment.class_id).where(
            ClassEnrollment.student_id == named_id, ClassEnrollment.dropped_at.is_(None)
        )
    )
    return ResolvedScope(
        scope,
        f"{student.first_name} {student.last_name}",
        Student.id == named_id,
        Analysis.student_id == named_id,
        in_class,
        student.id,
        school_id=student.school_id,
        values={"scope_student_id": student.id},
    )


async def resolve_scope(uow: UnitOfWork, actor: Actor, scope: Scope) -> ResolvedScope:
    """The scope's SQL conditions; AccessDenied or NotFound when it is outside the actor's reach."""
    if scope.kind == "school":
        return await _school(uow, actor, scope)
    if scope.kind == "district":
        return await _district(uow, actor, scope)
    if scope.kind == "grade":
        return _grade(scope)
    if scope.kind == "class":
        return await _class(uow, actor, scope)
    if scope.kind == "teacher":
        return await _teacher(uow, actor, scope)
    if scope.kind == "student":
        return await _student(uow, actor, scope)
    kinds = ", ".join(KINDS)
    values: dict[str, object] = {"value": scope.kind, "kinds": kinds}
    raise InvalidInput(
        "scope", f"“{scope.kind}” is not one of {kinds}", rule="scope_unknown", values=values
    )
