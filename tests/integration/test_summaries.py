"""Summaries against a seeded scenario whose numbers are known, for a principal and an admin.

District "צפון" holds school A (two teachers, grades 5 and 6) and school B (one teacher). In the
term (2026-09-01..2027-01-31) school A has 5 COMPLETED, 1 IN_PROGRESS and 1 FAILED analyses;
one more is from June (outside the term), one belongs to a soft-deleted student and one was
discarded. Analysis A2 has teacher edits that replace its strengths and confidence, and
private notes; A2 and A5 are flagged. School B has one completed, flagged analysis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.request_words import request_in_english
from core.actor import Actor, Channel, system_actor
from core.audit import record
from core.errors import AccessDenied, InvalidInput, NotFound, StudentNotFound
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
from core.periods import parse_period
from core.scope_words import Scope, parse_request
from core.scopes import AmbiguousStudent
from core.services.review import flag_for_review
from core.services.summaries import Summary, summarize
from tests.service_fixtures import seeding

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TERM = parse_period("this-term", now=NOW)
SECRET = "סוד: בעיות בבית"
SECRET_2 = "הערה חסויה על המשפחה"
CHANNEL = Channel("TELEGRAM", chat_id="777")


def at(month: int, day: int, year: int = 2026) -> datetime:
    """Noon UTC on a day of the scenario."""
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


@dataclass
class Scenario:
    """Actors and ids of the seeded world."""

    actors: dict[str, Actor] = field(default_factory=dict)
    students: dict[str, uuid.UUID] = field(default_factory=dict)
    analyses: dict[str, uuid.UUID] = field(default_factory=dict)


def _results(strengths: list[str], weaknesses: list[str], confidence: float) -> dict[str, Any]:
    return {
        "strengths": strengths,
        "weaknesses": weaknesses,
        "recommendations": ["Extra reading time"],
        "learningStyle": "Visual",
        "confidence": confidence,
    }


# key: (student, teacher, status, created, results, edits, notes, flagged, tokens, cost, deleted)
ANALYSES: list[tuple[Any, ...]] = [
    ("A1", "s1", "t1", "COMPLETED", at(10, 1),
     _results(["Strong math skills.", "קְרִיאָה שוטפת."],
              ["Struggles with reading comprehension"], 0.8),
     None, None, False, 1000, 0.01, False),
    ("A2", "s1", "t1", "COMPLETED", at(11, 1),
     _results(["Good problem solver"], ["struggles with reading comprehension!"], 0.6),
     {"strengths": ["strong  math skills", "Kind to peers"], "confidence": 0.9},
     SECRET, False, 2000, 0.02, False),
    ("A3", "s2", "t1", "COMPLETED", at(10, 15),
     _results(["Strong math skills"], ["קשיי ריכוז"], 0.7), None, None, False, 1500, 0.015,
     False),
    ("A4", "s3", "t1", "IN_PROGRESS", at(11, 10), None, None, None, False, 300, 0.003, False),
    ("A5", "s5", "t2", "COMPLETED", at(9, 20),
     _results(["קריאה שוטפת"], ["קשיי ריכוז", "Struggles with reading comprehension"], 0.5),
     None, SECRET_2, True, 1200, 0.012, False),
    ("A6", "s6", "t2", "FAILED", at(10, 5), None, None, None, False, 100, 0.001, False),
    ("A7", "s6", "t2", "COMPLETED", at(6, 1),
     _results(["Out of period strength"], [], 0.1), None, None, False, 5000, 0.05, False),
    ("A8", "s4", "t1", "COMPLETED", at(10, 2),
     _results(["Strong math skills", "קריאה שוטפת"], [], 0.4), None, None, False, 400, 0.004,
     False),
    ("A9", "s7", "t2", "COMPLETED", at(10, 3),
     _results(["Deleted student strength"], [], 0.2), None, None, False, 700, 0.007, False),
    ("A10", "s2", "t1", "COMPLETED", at(10, 4),
     _results(["Discarded strength"], [], 0.3), None, None, False, 800, 0.008, True),
    ("B1", "s8", "t3", "COMPLETED", at(10, 6),
     _results(["Strong math skills"], ["Other school weakness"], 1.0), None, None, True, 9999,
     0.1, False),
]  # fmt: skip

# key: (first, last, grade, school, class, active, deleted)
STUDENTS = [
    ("s1", "נועה", "ברקוביץ", "5", "a", "c1", True, False),
    ("s2", "Daniel", "Stone", "5", "a", "c1", True, False),
    ("s3", "יונתן", "אפשטיין", "5", "a", "c1", True, False),
    ("s4", "מירב", "שחר", "5", "a", "c1", False, False),
    ("s5", "עידו", "רמון", "6", "a", "c2", True, False),
    ("s6", "Maya", "Katz", "6", "a", "c2", True, False),
    ("s7", "גלית", "נחמיאס", "6", "a", "c2", True, True),
    ("s8", "אופיר", "זהבי", "5", "b", "c3", True, False),
]


async def seed(session_factory: async_sessionmaker[AsyncSession]) -> Scenario:
    """The scenario, then A2 flagged through the real service (so its flag has an audit row)."""
    world = Scenario()
    async with seeding(session_factory) as uow:
        s = uow.session
        district = District(name="צפון", code="NORTH")
        s.add(district)
        await s.flush()
        schools = {
            "a": School(name="אלון", code="SA", district_id=district.id),
            "b": School(name="ברוש", code="SB", district_id=district.id),
        }
        s.add_all(schools.values())
        await s.flush()
        staff = {
            "t1": ("t1@a.test", UserRole.TEACHER, "דנה", "לוי", "a"),
            "t2": ("t2@a.test", UserRole.TEACHER, "Michael", "Green", "a"),
            "t3": ("t3@b.test", UserRole.TEACHER, "רון", "כהן", "b"),
            "principal_a": ("principal@a.test", UserRole.PRINCIPAL, "רחל", "מנהלת", "a"),
            "principal_b": ("principal@b.test", UserRole.PRINCIPAL, "שרה", "מנהלת", "b"),
            "admin": ("admin@x.test", UserRole.ADMIN, "נועה", "אדמין", "a"),
        }
        users = {
            key: User(email=e, role=r, first_name=f, last_name=last, school_id=schools[sc].id)
            for key, (e, r, f, last, sc) in staff.items()
        }
        s.add_all(users.values())
        await s.flush()
        classes = {
            "c1": Class(name="ה'1", grade_level="5", teacher_id=users["t1"].id,
                        school_id=schools["a"].id),
            "c2": Class(name="ו'1", grade_level="6", teacher_id=users["t2"].id,
                        school_id=schools["a"].id),
            "c3": Class(name="ה'1", grade_level="5", teacher_id=users["t3"].id,
                        school_id=schools["b"].id),
        }  # fmt: skip
        s.add_all(classes.values())
        await s.flush()
        students = {}
        for number, (key, first, last, grade, school, klass, active, deleted) in enumerate(
            STUDENTS
        ):
            students[key] = Student(
                first_name=first, last_name=last, student_id=f"N{number}", grade_level=grade,
                school_id=schools[school].id, is_active=active, deleted_at=NOW if deleted else None,
            )  # fmt: skip
            s.add(students[key])
            await s.flush()
            s.add(ClassEnrollment(student_id=students[key].id, class_id=classes[klass].id))
        for key, student, teacher, status, created, results, edits, notes, flagged, tokens, cost, \
                deleted in ANALYSES:  # fmt: skip
            row = Analysis(
                student_id=students[student].id, teacher_id=users[teacher].id,
                status=AnalysisStatus(status), results=results, teacher_edits=edits,
                private_notes=notes, flagged_for_review=flagged, total_tokens=tokens,
                estimated_cost=cost, created_at=created, updated_at=created,
                deleted_at=NOW if deleted else None,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            world.analyses[key] = row.id
        record(uow, system_actor(), AuditAction.CREATE, "TestScenario", seeded=True)
        await uow.commit()
        world.students = {key: row.id for key, row in students.items()}
        for key, user in users.items():
            school = schools["a"] if user.school_id == schools["a"].id else schools["b"]
            world.actors[key] = Actor(
                user.id, user.email, user.role, school.id, district.id, CHANNEL
            )
    async with seeding(session_factory) as uow:
        await flag_for_review(uow=uow, actor=world.actors["t1"], analysis_id=world.analyses["A2"])
    return world


async def run(
    session_factory: async_sessionmaker[AsyncSession], actor: Actor, argument: str
) -> Summary:
    """`summary ARGUMENT` through the service, with the scenario's clock."""
    scope, period = parse_request(argument, now=NOW)
    async with seeding(session_factory) as uow:
        return await summarize(uow=uow, actor=actor, scope=scope, period=period)


def assert_school_a(summary: Summary) -> None:
    """The term's numbers for school A (same for its principal and for an admin)."""
    assert summary.name == "אלון"
    assert summary.statuses == (("COMPLETED", 5), ("FAILED", 1), ("IN_PROGRESS", 1))
    assert summary.total == 7
    assert summary.flagged == 2
    assert summary.tokens == 1000 + 2000 + 1500 + 300 + 1200 + 100 + 400
    assert summary.cost == pytest.approx(0.065)
    # Completed: A1 0.8, A2 0.9 (the teacher's edit, not the AI's 0.6), A3 0.7, A5 0.5, A8 0.4.
    assert summary.average_confidence == pytest.approx(3.3 / 5)
    coverage = [(c.label, c.active, c.covered) for c in summary.by_grade]
    assert coverage == [("5", 3, 2), ("6", 2, 1)]  # s4 inactive, s7 deleted, A7 out of term
    assert [(c.label, c.active, c.covered) for c in summary.by_class] == [
        ("ה'1", 3, 2),
        ("ו'1", 2, 1),
    ]
    assert [(t.email, t.total, t.completed) for t in summary.teachers] == [
        ("t1@a.test", 5, 4),
        ("t2@a.test", 2, 1),
    ]
    # "Good problem solver" was replaced by the teacher's edit; out-of-term, deleted-student,
    # discarded and other-school phrases are absent.
    assert [(t.phrase, t.count) for t in summary.strengths] == [
        ("Strong math skills", 4),
        ("קריאה שוטפת", 3),
        ("Kind to peers", 1),
    ]
    assert [(t.phrase, t.count) for t in summary.weaknesses] == [
        ("Struggles with reading comprehension", 3),
        ("קשיי ריכוז", 2),
    ]
    assert SECRET not in repr(summary) and SECRET_2 not in repr(summary)


async def test_principal_school_summary_has_the_known_numbers(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    summary = await run(session_factory, world.actors["principal_a"], "school this-term")
    assert_school_a(summary)
    assert summary.period == TERM
    row = await raw.fetchrow(
        "SELECT * FROM audit_logs WHERE resource = 'Summary' ORDER BY created_at DESC LIMIT 1"
    )
    assert row["action"] == "READ" and row["user_email"] == "principal@a.test"
    assert '"scope": "school"' in row["metadata"]


async def test_a_class_whose_members_all_left_has_no_row_in_the_school_summary(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # ו'1's members are counted per class from their enrollments; the class itself is read
    # only for the counted ones, so one with members but none active must still be left out.
    world = await seed(session_factory)
    async with seeding(session_factory) as uow:
        await uow.session.execute(
            update(Student)
            .where(Student.id.in_([world.students["s5"], world.students["s6"]]))
            .values(is_active=False)
        )
        record(uow, system_actor(), AuditAction.UPDATE, "Student", deactivated=2)
        await uow.commit()
    summary = await run(session_factory, world.actors["principal_a"], "school this-term")
    assert [(c.label, c.active, c.covered) for c in summary.by_class] == [("ה'1", 3, 2)]


async def test_admin_sees_any_school_and_the_district(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    world = await seed(session_factory)
    admin = world.actors["admin"]
    assert_school_a(await run(session_factory, admin, "school SA this-term"))
    other = await run(session_factory, admin, "school sb this-term")
    assert (other.name, other.total, other.flagged) == ("ברוש", 1, 1)
    district = await run(session_factory, admin, "district NORTH this-term")
    assert district.statuses == (("COMPLETED", 6), ("FAILED", 1), ("IN_PROGRESS", 1))
    assert district.flagged == 3
    assert district.tokens == 6500 + 9999
    assert district.strengths[0].phrase == "Strong math skills"
    assert district.strengths[0].count == 5
    assert [(c.label, c.active, c.covered) for c in district.by_grade] == [
        ("5", 4, 3),
        ("6", 2, 1),
    ]


async def test_principal_asking_about_another_school_is_refused_and_audited(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    principal = world.actors["principal_a"]
    for argument in ("school SB", "school NOSUCH this-term", "district NORTH"):
        with pytest.raises(AccessDenied):
            await run(session_factory, principal, argument)
    denied = await raw.fetch(
        "SELECT resource, resource_id, metadata->>'reason' AS reason FROM audit_logs "
        "WHERE (metadata->>'denied')::boolean ORDER BY created_at"
    )
    assert [(r["resource"], r["resource_id"], r["reason"]) for r in denied] == [
        ("School", "SB", "other_school"),
        ("School", "NOSUCH", "other_school"),
        ("District", "NORTH", "admin_only"),
    ]
    # Names in school B are not found by A's principal; teachers may not ask for summaries.
    with pytest.raises(StudentNotFound):
        await run(session_factory, principal, "student אופיר זהבי")
    with pytest.raises(AccessDenied):
        await run(session_factory, world.actors["t1"], "school")


async def test_grade_class_and_teacher_summaries(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    world = await seed(session_factory)
    principal = world.actors["principal_a"]
    grade = await run(session_factory, principal, "grade 5 this-term")
    assert grade.statuses == (("COMPLETED", 4), ("IN_PROGRESS", 1))
    assert [(c.label, c.active, c.covered) for c in grade.by_grade] == [("5", 3, 2)]
    assert [(c.label, c.active, c.covered) for c in grade.by_class] == [("ה'1", 3, 2)]
    klass = await run(session_factory, principal, "class ו'1 this-term")
    assert (klass.name, klass.total, klass.count(AnalysisStatus.FAILED)) == ("ו'1", 2, 1)
    assert [(c.label, c.active, c.covered) for c in klass.by_class] == [("ו'1", 2, 1)]
    teacher = await run(session_factory, principal, "teacher T2@A.test this-term")
    assert (teacher.name, teacher.total, teacher.flagged) == ("Michael Green", 2, 1)
    assert [(c.label, c.active, c.covered) for c in teacher.by_grade] == [("6", 2, 1)]
    everything = await run(session_factory, principal, "school")
    assert everything.period is None and everything.count(AnalysisStatus.COMPLETED) == 6
    with pytest.raises(NotFound):
        await run(session_factory, principal, "teacher t3@b.test")
    with pytest.raises(InvalidInput, match="period"):
        await run(session_factory, principal, "school 2026-13-01..2026-12-01")


async def test_student_summary_shows_the_latest_analysis_with_edits_and_the_trend(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    world = await seed(session_factory)
    for actor in (world.actors["principal_a"], world.actors["admin"]):
        summary = await run(session_factory, actor, "student נועה ברקוביץ this-year")
        latest = summary.latest
        assert latest is not None and latest.analysis_id == world.analyses["A2"]
        assert latest.strengths == ("strong  math skills", "Kind to peers")
        assert latest.weaknesses == ("struggles with reading comprehension!",)
        assert latest.confidence == pytest.approx(0.9)
        assert latest.edited == ("strengths", "confidence")
        assert latest.teacher == "דנה לוי"
        assert [(p.analysis_id, p.confidence) for p in summary.trend] == [
            (world.analyses["A1"], pytest.approx(0.8)),
            (world.analyses["A2"], pytest.approx(0.9)),
        ]
        assert [(t.phrase, t.count) for t in summary.weaknesses] == [
            ("Struggles with reading comprehension", 2)
        ]
        assert SECRET not in repr(summary)


async def test_a_student_named_by_school_number_is_read_by_it_and_a_shared_number_asks_which(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    principal, admin = world.actors["principal_a"], world.actors["admin"]
    by_number = await run(session_factory, principal, "student N0 this-year")
    assert by_number.name == "נועה ברקוביץ"
    assert by_number.latest is not None and by_number.latest.analysis_id == world.analyses["A2"]
    with pytest.raises(StudentNotFound):  # s7's number: a deleted student is nobody's to read
        await run(session_factory, principal, "student N6")
    with pytest.raises(StudentNotFound):  # school B's student: not the principal's
        await run(session_factory, principal, "student N7")
    # The same number at school B: school A's principal still reads their own student; an
    # admin, who sees both schools, is asked which (the name search's answer, as before).
    await raw.execute(
        "INSERT INTO students (first_name, last_name, student_id, grade_level, school_id) "
        "SELECT 'Other', 'Pupil', 'N0', '5', school_id FROM students WHERE id = $1",
        world.students["s8"],
    )
    assert (await run(session_factory, principal, "student N0")).name == "נועה ברקוביץ"
    with pytest.raises(AmbiguousStudent):
        await run(session_factory, admin, "student N0")


def test_request_parsing_names_what_is_wrong() -> None:
    assert parse_request("", now=NOW) == (Scope(), None)
    assert parse_request("grade 5", now=NOW) == (Scope("grade", "5"), None)
    scope, period = parse_request("student בן-ציון כהן 2026-09-01..2026-09-30", now=NOW)
    assert scope == Scope("student", "בן-ציון כהן")
    assert period is not None and (period.first.day, period.last.day) == (1, 30)
    assert parse_request(request_in_english("שכבה ו השנה"), now=NOW)[0] == Scope("grade", "ו")
    with pytest.raises(InvalidInput, match="not one of"):
        parse_request("galaxy far", now=NOW)
    with pytest.raises(InvalidInput, match="write which teacher"):
        parse_request("teacher this-month", now=NOW)
    with pytest.raises(InvalidInput, match="ends before it starts"):
        parse_request("school 2026-10-01..2026-09-01", now=NOW)


@pytest.mark.parametrize(
    ("now", "keyword", "first", "last"),
    [
        (datetime(2026, 11, 20, tzinfo=UTC), "this-term", "2026-09-01", "2027-01-31"),
        (datetime(2027, 1, 15, tzinfo=UTC), "this-term", "2026-09-01", "2027-01-31"),
        (datetime(2027, 3, 1, tzinfo=UTC), "this-term", "2027-02-01", "2027-06-30"),
        (datetime(2027, 7, 20, tzinfo=UTC), "this-term", "2027-02-01", "2027-06-30"),
        (datetime(2027, 3, 1, tzinfo=UTC), "this-year", "2026-09-01", "2027-08-31"),
        (datetime(2026, 9, 1, tzinfo=UTC), "this-year", "2026-09-01", "2027-08-31"),
        # 22:30 UTC on Aug 31 is already September 1 in Israel: the new school year.
        (datetime(2026, 8, 31, 22, 30, tzinfo=UTC), "this-year", "2026-09-01", "2027-08-31"),
        (datetime(2026, 2, 10, tzinfo=UTC), "this-month", "2026-02-01", "2026-02-28"),
        (datetime(2026, 12, 31, tzinfo=UTC), "this-month", "2026-12-01", "2026-12-31"),
    ],
)
def test_periods_follow_the_israeli_school_calendar(
    now: datetime, keyword: str, first: str, last: str
) -> None:
    period = parse_period(keyword, now=now)
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)
    assert period.end > period.start


async def test_one_compiled_summary_serves_every_school_and_scope_of_its_shape(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # Each shape's statement is built once per process and run with each call's values
    # (core/scoped_statements): a value frozen in from the first call would show school A's
    # numbers to B's principal, or one class's to another.
    world = await seed(session_factory)
    assert_school_a(await run(session_factory, world.actors["principal_a"], "school this-term"))
    other = await run(session_factory, world.actors["principal_b"], "school this-term")
    assert (other.name, other.total, other.flagged) == ("ברוש", 1, 1)
    assert [(c.label, c.active, c.covered) for c in other.by_class] == [("ה'1", 1, 1)]
    assert_school_a(await run(session_factory, world.actors["principal_a"], "school this-term"))
    first = await run(session_factory, world.actors["principal_a"], "class ה'1 this-term")
    second = await run(session_factory, world.actors["principal_a"], "class ו'1 this-term")
    assert [(c.label, c.active) for c in first.by_class] == [("ה'1", 3)]
    assert [(c.label, c.active) for c in second.by_class] == [("ו'1", 2)]
    year = await run(session_factory, world.actors["principal_a"], "school 2026-06-01..2027-01-31")
    assert year.total > 7  # the June analysis: the period's bounds are values too
