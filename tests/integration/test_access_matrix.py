"""Core acceptance: every role against every resource, through the real services, audited.

Two schools. In school A teacher A teaches class A1 and teacher B teaches class B1; one student
sits in both classes (the overlap), the others in one only (disjoint). An inactive teacher and
a soft-deleted teacher each teach a class holding teacher A's own student, so their refusal is
about their account and not about visibility. School B has its own teacher, class and student.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import with_expression

from core.actor import Actor, Channel, system_actor
from core.audit import record, service
from core.errors import AccessDenied, NotFound, StudentNotFound
from core.models import (
    Analysis,
    AnalysisStatus,
    AuditAction,
    Class,
    ClassEnrollment,
    District,
    School,
    Student,
    User,
    UserRole,
)
from core.models.analysis import NOTES_FOR_ACTOR
from core.policy import may_read_private_notes, visible_analyses
from core.services.classes import class_roster, teacher_classes
from core.services.students import (
    MAX_PAGE_SIZE,
    find_students,
    get_student,
    list_my_students,
    student_classes,
)
from core.uow import UnitOfWork
from tests.service_fixtures import seeding

CHANNEL = Channel("TELEGRAM", chat_id="4242")
PRIVATE_NOTES = "אמא ביקשה לא לשתף"
NIL = uuid.UUID(int=0)


class Outcome(enum.Enum):
    """What the services must do for one (role, resource) pair."""

    SEE = "see"
    SEE_WITH_NOTES = "see_with_notes"
    HIDE = "hide"
    DENY = "deny"


SEE, NOTES, HIDE, DENY = Outcome.SEE, Outcome.SEE_WITH_NOTES, Outcome.HIDE, Outcome.DENY

ROLES = (
    "teacher_a",
    "teacher_b",
    "principal_a",
    "principal_b",
    "admin",
    "inactive_teacher",
    "deleted_teacher",
)
STUDENT_RESOURCES = (
    "student_in_own_class",
    "student_in_other_class_same_school",
    "student_of_other_school",
    "dropped_enrollment",
    "soft_deleted_student",
)
RESOURCES = (*STUDENT_RESOURCES, "analysis_by_other_teacher_with_private_notes")

# "Own" and "other" are from teacher A's point of view; the analysis is teacher B's, about the
# student both teachers share. Admins read private notes only through a full-record export.
EXPECTED: dict[str, tuple[Outcome, ...]] = {
    #                    own   other school_b dropped deleted analysis
    "teacher_a":        (SEE,  HIDE,  HIDE,   HIDE,   HIDE,   SEE),
    "teacher_b":        (HIDE, SEE,   HIDE,   HIDE,   HIDE,   NOTES),
    "principal_a":      (SEE,  SEE,   HIDE,   SEE,    HIDE,   SEE),
    "principal_b":      (HIDE, HIDE,  SEE,    HIDE,   HIDE,   HIDE),
    "admin":            (SEE,  SEE,   SEE,    SEE,    HIDE,   SEE),
    "inactive_teacher": (DENY, DENY,  DENY,   DENY,   DENY,   DENY),
    "deleted_teacher":  (DENY, DENY,  DENY,   DENY,   DENY,   DENY),
}  # fmt: skip

CLASS_RESOURCES = ("roster_of_teacher_a_class", "classes_of_teacher_a")
EXPECTED_CLASSES: dict[str, tuple[Outcome, ...]] = {
    "teacher_a": (SEE, SEE),
    "teacher_b": (HIDE, HIDE),
    "principal_a": (SEE, SEE),
    "principal_b": (HIDE, HIDE),
    "admin": (SEE, SEE),
    "inactive_teacher": (DENY, DENY),
    "deleted_teacher": (DENY, DENY),
}
DENIAL_REASONS = {"inactive_teacher": "user_inactive", "deleted_teacher": "user_deleted"}


@dataclass
class World:
    """Ids of everything the matrix looks at, and an Actor per role."""

    actors: dict[str, Actor] = field(default_factory=dict)
    students: dict[str, uuid.UUID] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    shared_student: uuid.UUID = NIL
    class_a: uuid.UUID = NIL
    teacher_a: uuid.UUID = NIL
    analysis: uuid.UUID = NIL


async def _build_world(session_factory: async_sessionmaker[AsyncSession]) -> World:
    world = World()
    now = datetime.now(UTC)
    async with seeding(session_factory) as uow:
        s = uow.session
        district = District(name="מחוז מרכז", code="D-1")
        s.add(district)
        await s.flush()
        school_a = School(name="בית ספר א", code="A", district_id=district.id)
        school_b = School(name="בית ספר ב", code="B", district_id=district.id)
        s.add_all([school_a, school_b])
        await s.flush()

        def user(key: str, role: UserRole, school: School, **extra: Any) -> User:
            return User(
                email=f"{key}@school.test",
                role=role,
                first_name=key,
                last_name="צוות",
                school_id=school.id,
                **extra,
            )

        users = {
            "teacher_a": user("teacher_a", UserRole.TEACHER, school_a),
            "teacher_b": user("teacher_b", UserRole.TEACHER, school_a),
            "principal_a": user("principal_a", UserRole.PRINCIPAL, school_a),
            "principal_b": user("principal_b", UserRole.PRINCIPAL, school_b),
            "admin": user("admin", UserRole.ADMIN, school_a),
            "inactive_teacher": user(
                "inactive_teacher", UserRole.TEACHER, school_a, is_active=False
            ),
            "deleted_teacher": user("deleted_teacher", UserRole.TEACHER, school_a, deleted_at=now),
            "teacher_of_b": user("teacher_of_b", UserRole.TEACHER, school_b),
        }
        s.add_all(users.values())
        await s.flush()

        def klass(name: str, teacher: str, school: School) -> Class:
            return Class(name=name, teacher_id=users[teacher].id, school_id=school.id)

        classes = {
            "a1": klass("מתמטיקה א1", "teacher_a", school_a),
            "b1": klass("אנגלית ב1", "teacher_b", school_a),
            "inactive": klass("מדעים", "inactive_teacher", school_a),
            "deleted": klass("היסטוריה", "deleted_teacher", school_a),
            "school_b": klass("ספורט", "teacher_of_b", school_b),
        }
        s.add_all(classes.values())
        await s.flush()

        # (resource, first, last, school, deleted)
        people = [
            ("student_in_own_class", "אורית", "שקדי", school_a, False),
            ("student_in_other_class_same_school", "בנימין", "רזניק", school_a, False),
            ("student_of_other_school", "גלעד", "פזנר", school_b, False),
            ("dropped_enrollment", "דפנה", "גלבוע", school_a, False),
            ("soft_deleted_student", "הילה", "צורף", school_a, True),
            ("shared", "ורד", "נויפלד", school_a, False),
        ]
        rows: dict[str, Student] = {}
        for number, (key, first, last, school, deleted) in enumerate(people):
            rows[key] = Student(
                first_name=first,
                last_name=last,
                student_id=f"ID-{number}",
                grade_level="5",
                school_id=school.id,
                deleted_at=now if deleted else None,
            )
            world.names[key] = f"{first} {last}"
        s.add_all(rows.values())
        await s.flush()

        # (student, class, dropped)
        enrollments = [
            ("student_in_own_class", "a1", False),
            ("student_in_own_class", "inactive", False),
            ("student_in_own_class", "deleted", False),
            ("student_in_other_class_same_school", "b1", False),
            ("student_of_other_school", "school_b", False),
            ("dropped_enrollment", "a1", True),
            ("soft_deleted_student", "a1", False),
            ("shared", "a1", False),
            ("shared", "b1", False),
        ]
        s.add_all(
            ClassEnrollment(
                student_id=rows[student].id,
                class_id=classes[name].id,
                dropped_at=now if dropped else None,
            )
            for student, name, dropped in enrollments
        )
        analysis = Analysis(
            student_id=rows["shared"].id,
            teacher_id=users["teacher_b"].id,
            status=AnalysisStatus.COMPLETED,
            results={"summary": "התקדמות יפה"},
            private_notes=PRIVATE_NOTES,
        )
        s.add(analysis)
        await s.flush()
        record(uow, system_actor(), AuditAction.CREATE, "Fixture", "access-matrix")
        await uow.commit()

        schools = {school_a.id: school_a, school_b.id: school_b}
        for role in ROLES:
            u = users[role]
            world.actors[role] = Actor(
                u.id, u.email, u.role, u.school_id, schools[u.school_id].district_id, CHANNEL
            )
        world.students = {key: row.id for key, row in rows.items()}
        world.shared_student = rows["shared"].id
        world.class_a = classes["a1"].id
        world.teacher_a = users["teacher_a"].id
        world.analysis = analysis.id
    return world


@pytest.fixture
async def world(session_factory: async_sessionmaker[AsyncSession]) -> World:
    """The two-school world of the matrix, freshly created for each case."""
    return await _build_world(session_factory)


class AuditTrail:
    """Reads audit rows written since the last look."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self._raw = raw
        self._seen: list[uuid.UUID] = []

    async def start(self) -> AuditTrail:
        """Forget everything written so far (the fixture's own rows)."""
        self._seen = [r["id"] for r in await self._raw.fetch("SELECT id FROM audit_logs")]
        return self

    async def new(self) -> list[dict[str, Any]]:
        """Rows written since the previous call, metadata decoded."""
        rows = await self._raw.fetch(
            "SELECT * FROM audit_logs WHERE NOT (id = ANY($1::uuid[])) ORDER BY created_at",
            self._seen,
        )
        self._seen += [r["id"] for r in rows]
        return [{**dict(r), "metadata": json.loads(r["metadata"])} for r in rows]

    async def one(self, actor: Actor) -> dict[str, Any]:
        """The single READ row the last call wrote, by this actor, with the channel."""
        rows = await self.new()
        assert len(rows) == 1, rows
        row = rows[0]
        assert row["action"] == AuditAction.READ.value
        assert row["user_id"] == str(actor.user_id)
        assert row["user_role"] == actor.role.value
        assert row["metadata"]["channel"] == CHANNEL.as_metadata()
        return row


@pytest.fixture
async def trail(raw: asyncpg.Connection, world: World) -> AuditTrail:
    """Audit rows written by the case itself (after the world was built)."""
    return await AuditTrail(raw).start()


def _ids(values: list[Any]) -> list[str]:
    return sorted(str(v) for v in values)


async def _assert_denied(trail: AuditTrail, actor: Actor, role: str, service_name: str) -> None:
    row = await trail.one(actor)
    assert row["metadata"]["denied"] is True
    assert row["metadata"]["reason"] == DENIAL_REASONS[role]
    assert row["metadata"]["service"].endswith(service_name)
    assert "studentIds" not in row["metadata"]


async def _assert_failed(trail: AuditTrail, actor: Actor, resource: str, key: uuid.UUID) -> None:
    row = await trail.one(actor)
    assert row["metadata"]["failed"] is True
    assert row["resource"] == resource
    assert row["resource_id"] == str(key)
    assert "studentIds" not in row["metadata"]


@service
async def read_analysis(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID
) -> tuple[uuid.UUID, str | None]:
    """Test-only analysis read built from the policy: the analysis, notes only to the author."""
    analysis = await uow.session.scalar(
        select(Analysis)
        .options(with_expression(Analysis.notes_for_actor, NOTES_FOR_ACTOR))
        .where(Analysis.id == analysis_id, visible_analyses(actor))
    )
    if analysis is None:
        raise NotFound("Analysis", str(analysis_id))
    notes = analysis.notes_for_actor if may_read_private_notes(actor, analysis) else None
    record(
        uow,
        actor,
        AuditAction.READ,
        "Analysis",
        analysis.id,
        student_ids=[analysis.student_id],
        privateNotes=notes is not None,
    )
    await uow.commit()
    return analysis.id, notes


def _matrix(expected: dict[str, tuple[Outcome, ...]], resources: tuple[str, ...]) -> list[Any]:
    return [
        pytest.param(role, resource, outcome, id=f"{role}-{resource}-{outcome.value}")
        for role, outcomes in expected.items()
        for resource, outcome in zip(resources, outcomes, strict=True)
    ]


def test_the_matrix_covers_every_role_and_resource() -> None:
    assert set(EXPECTED) == set(ROLES) == set(EXPECTED_CLASSES)
    assert all(len(row) == len(RESOURCES) for row in EXPECTED.values())


@pytest.mark.parametrize(
    ("role", "resource", "expected"),
    [p for p in _matrix(EXPECTED, RESOURCES) if p.values[1] in STUDENT_RESOURCES],
)
async def test_student_services_return_or_refuse_exactly_as_the_policy_says(
    session_factory: async_sessionmaker[AsyncSession],
    world: World,
    trail: AuditTrail,
    role: str,
    resource: str,
    expected: Outcome,
) -> None:
    actor = world.actors[role]
    student_id = world.students[resource]

    async def call(fn: Any, **kwargs: Any) -> Any:
        async with seeding(session_factory) as uow:
            return await fn(uow=uow, actor=actor, **kwargs)

    # One student by id.
    if expected is DENY:
        with pytest.raises(AccessDenied):
            await call(get_student, student_id=student_id)
        await _assert_denied(trail, actor, role, "get_student")
    elif expected is HIDE:
        with pytest.raises(StudentNotFound):
            await call(get_student, student_id=student_id)
        await _assert_failed(trail, actor, "Student", student_id)
    else:
        view = await call(get_student, student_id=student_id)
        assert view.id == student_id
        row = await trail.one(actor)
        assert row["resource"] == "Student" and row["resource_id"] == str(student_id)
        assert row["metadata"]["studentIds"] == [str(student_id)]

    # The student's classes.
    if expected is DENY:
        with pytest.raises(AccessDenied):
            await call(student_classes, student_id=student_id)
        await _assert_denied(trail, actor, role, "student_classes")
    elif expected is HIDE:
        with pytest.raises(StudentNotFound):
            await call(student_classes, student_id=student_id)
        await _assert_failed(trail, actor, "Student", student_id)
    else:
        classes = await call(student_classes, student_id=student_id)
        assert classes
        if actor.role is UserRole.TEACHER:
            assert {c.klass.teacher_id for c in classes} == {actor.user_id}
        row = await trail.one(actor)
        assert row["metadata"]["studentIds"] == [str(student_id)]
        assert row["metadata"]["classIds"] == [str(c.klass.id) for c in classes]

    # The actor's student list.
    if expected is DENY:
        with pytest.raises(AccessDenied):
            await call(list_my_students, page_size=MAX_PAGE_SIZE)
        await _assert_denied(trail, actor, role, "list_my_students")
    else:
        page = await call(list_my_students, page_size=MAX_PAGE_SIZE)
        listed = [s.id for s in page.items]
        assert (student_id in listed) is (expected is SEE)
        row = await trail.one(actor)
        assert _ids(row["metadata"]["studentIds"]) == _ids(listed)

    # Search by full name.
    if expected is DENY:
        with pytest.raises(AccessDenied):
            await call(find_students, query=world.names[resource])
        await _assert_denied(trail, actor, role, "find_students")
    else:
        found = [s.id for s in await call(find_students, query=world.names[resource])]
        assert found == ([student_id] if expected is SEE else [])
        row = await trail.one(actor)
        assert _ids(row["metadata"]["studentIds"]) == _ids(found)
        assert row["metadata"]["resultCount"] == len(found)

    assert await trail.new() == []


@pytest.mark.parametrize(
    ("role", "resource", "expected"),
    [p for p in _matrix(EXPECTED, RESOURCES) if p.values[1] not in STUDENT_RESOURCES],
)
async def test_analysis_and_private_notes_follow_the_policy(
    session_factory: async_sessionmaker[AsyncSession],
    world: World,
    trail: AuditTrail,
    role: str,
    resource: str,
    expected: Outcome,
) -> None:
    actor = world.actors[role]
    async with seeding(session_factory) as uow:
        if expected is DENY:
            with pytest.raises(AccessDenied):
                await read_analysis(uow=uow, actor=actor, analysis_id=world.analysis)
            await _assert_denied(trail, actor, role, "read_analysis")
        elif expected is HIDE:
            with pytest.raises(NotFound):
                await read_analysis(uow=uow, actor=actor, analysis_id=world.analysis)
            await _assert_failed(trail, actor, "Analysis", world.analysis)
        else:
            analysis_id, notes = await read_analysis(
                uow=uow, actor=actor, analysis_id=world.analysis
            )
            assert analysis_id == world.analysis
            assert notes == (PRIVATE_NOTES if expected is NOTES else None)
            row = await trail.one(actor)
            assert row["resource_id"] == str(world.analysis)
            assert row["metadata"]["studentIds"] == [str(world.shared_student)]
            assert row["metadata"]["privateNotes"] is (expected is NOTES)
    assert await trail.new() == []


@pytest.mark.parametrize(
    ("role", "resource", "expected"), _matrix(EXPECTED_CLASSES, CLASS_RESOURCES)
)
async def test_class_services_return_or_refuse_exactly_as_the_policy_says(
    session_factory: async_sessionmaker[AsyncSession],
    world: World,
    trail: AuditTrail,
    role: str,
    resource: str,
    expected: Outcome,
) -> None:
    actor = world.actors[role]
    roster = resource == "roster_of_teacher_a_class"
    fn: Any = class_roster if roster else teacher_classes
    kwargs: dict[str, Any] = (
        {"class_id": world.class_a} if roster else {"teacher_id": world.teacher_a}
    )
    async with seeding(session_factory) as uow:
        if expected is DENY:
            with pytest.raises(AccessDenied):
                await fn(uow=uow, actor=actor, **kwargs)
            await _assert_denied(trail, actor, role, fn.__name__)
        elif expected is HIDE:
            with pytest.raises(NotFound):
                await fn(uow=uow, actor=actor, **kwargs)
            key = world.class_a if roster else world.teacher_a
            await _assert_failed(trail, actor, "Class" if roster else "User", key)
        elif roster:
            klass, students = await fn(uow=uow, actor=actor, **kwargs)
            assert klass.id == world.class_a
            # Dropped and soft-deleted students are not on the roster.
            expected_ids = [world.students["student_in_own_class"], world.shared_student]
            assert _ids([s.id for s in students]) == _ids(expected_ids)
            row = await trail.one(actor)
            assert row["resource_id"] == str(world.class_a)
            assert _ids(row["metadata"]["studentIds"]) == _ids(expected_ids)
        else:
            classes = await fn(uow=uow, actor=actor, **kwargs)
            assert [c.id for c in classes] == [world.class_a]
            row = await trail.one(actor)
            assert row["metadata"]["classIds"] == [str(world.class_a)]
            assert "studentIds" not in row["metadata"]
    assert await trail.new() == []
