"""What bench.summary times: each principal, teacher and admin query with its plain count.

Every query is a real service called as its user would (audit row and commit included); its
plain count is one `count(*)` over the same rows, through the same session path. `rows_read`
walks an EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) plan and adds up what every scan produced or
threw away (rows out plus rows removed by filter or recheck, times loops): the rows a query
read, to set against the rows it returned. The audit queries return a page (the newest 50):
`audit student` and `audit user` are set against a count of every row they match, `audit since`
(which matches a whole day) against a count of the same page.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bench.databases import dsn
from bench.summary_seed import CLASSES_PER_TEACHER, TEACHERS_PER_SCHOOL
from core.actor import Actor, Channel, system_actor
from core.models import UserRole
from core.periods import Period
from core.scope_words import Scope
from core.services import audit_queries, exports, flagged, history, records, retention
from core.services.summaries import summarize
from core.uow import UnitOfWork

CHANNEL = Channel("CLI", chat_id="bench")
Call = Callable[[UnitOfWork, int], Awaitable[object]]


@dataclass(frozen=True)
class Query:
    """A service call (given the run's number) and its plain count over the same rows."""

    label: str
    target_ms: float
    call: Call
    count_sql: str
    count_args: Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class Subjects:
    """The bench school's people and rows the queries are asked about."""

    school: int
    school_id: uuid.UUID
    principal: Actor
    teacher: Actor
    admin: Actor
    teacher_email: str
    students: list[uuid.UUID]
    student_numbers: list[str]
    teacher_students: list[uuid.UUID]
    # The school the export reads, and its principal: the next school, not `school` (below).
    exporter: Actor
    export_school_id: uuid.UUID


async def subjects(url: str, school: int) -> Subjects:
    """Principal, a teacher with their students, and an admin of bench school `school`.

    The export is of the next school: each export's audit row names every student of its
    school, and the database is reused from run to run, so 300 exports a run of this school
    made the logs that `audit student` and `student record` read grow by 300 rows a run
    (Year 3: a record of 426 log rows at one run, 2,199 five runs later).
    """
    conn = await asyncpg.connect(dsn(url))
    try:
        s = await conn.fetchrow(
            "SELECT id, district_id FROM schools WHERE code = $1", f"BS-{school:03d}"
        )
        exported = await conn.fetchrow(
            "SELECT s.id, s.district_id, u.id AS principal FROM schools s JOIN users u "
            "ON u.school_id = s.id AND u.email = $2 WHERE s.code = $1",
            f"BS-{school + 1:03d}",
            f"principal{school + 1}@bench.test",
        )
        people = {
            r["email"]: r["id"]
            for r in await conn.fetch(
                "SELECT id, email FROM users WHERE email = ANY($1::text[])",
                [f"principal{school}@bench.test", f"t{school}-0@bench.test", "admin@bench.test"],
            )
        }
        students = await conn.fetch(
            "SELECT id, student_id FROM students WHERE school_id = $1 AND deleted_at IS NULL "
            "ORDER BY md5(student_id) LIMIT 60",
            s["id"],
        )
        taught = await conn.fetch(
            "SELECT DISTINCT st.id FROM students st"
            " JOIN class_enrollments e ON e.student_id = st.id"
            " JOIN classes c ON c.id = e.class_id JOIN users u ON u.id = c.teacher_id"
            " WHERE u.email = $1 AND st.deleted_at IS NULL AND e.dropped_at IS NULL LIMIT 60",
            f"t{school}-0@bench.test",
        )
    finally:
        await conn.close()

    def actor(email: str, role: UserRole) -> Actor:
        return Actor(people[email], email, role, s["id"], s["district_id"], CHANNEL)

    return Subjects(
        school,
        s["id"],
        actor(f"principal{school}@bench.test", UserRole.PRINCIPAL),
        actor(f"t{school}-0@bench.test", UserRole.TEACHER),
        system_actor(CHANNEL),
        f"t{school}-0@bench.test",
        [r["id"] for r in students],
        [r["student_id"] for r in students],
        [r["id"] for r in taught],
        Actor(exported["principal"], f"principal{school + 1}@bench.test", UserRole.PRINCIPAL,
              exported["id"], exported["district_id"], CHANNEL),
        exported["id"],
    )  # fmt: skip


# The counts read by the school's key on analyses (0017), the cheapest way to the same rows.
SCHOOL_ANALYSES = (
    "SELECT count(*) FROM analyses a JOIN students s ON s.id = a.student_id "
    "WHERE a.school_id = :school AND s.deleted_at IS NULL AND a.deleted_at IS NULL "
    "AND a.created_at >= :start AND a.created_at < :end"
)


def queries(who: Subjects, period: Period, now: datetime) -> list[Query]:
    """Every query the bench times, in report order."""
    classes = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER
    span = {"school": who.school_id, "start": period.start, "end": period.end}

    def summary(scope: Callable[[int], Scope]) -> Call:
        async def call(uow: UnitOfWork, n: int) -> object:
            return await summarize(uow=uow, actor=who.principal, scope=scope(n), period=period)

        return call

    def student(n: int) -> uuid.UUID:
        return who.students[n % len(who.students)]

    def teacher(n: int) -> str:
        return f"t{who.school}-{n % TEACHERS_PER_SCHOOL}@bench.test"

    def taught(n: int) -> uuid.UUID:
        return who.teacher_students[n % len(who.teacher_students)]

    page = (
        "SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE {where} "
        "ORDER BY created_at DESC, id DESC LIMIT 51) page"
    )
    since = (now - timedelta(days=1)).date()
    return [
        Query("summary school", 100, summary(lambda n: Scope("school")), SCHOOL_ANALYSES,
              lambda n: span),
        Query("summary grade", 50, summary(lambda n: Scope("grade", str(1 + n % 12))),
              SCHOOL_ANALYSES + " AND s.grade_level = :grade",
              lambda n: {**span, "grade": str(1 + n % 12)}),
        Query("summary class", 50, summary(lambda n: Scope("class", f"כיתה {n % classes}")),
              SCHOOL_ANALYSES + " AND a.student_id IN (SELECT e.student_id FROM "
              "class_enrollments e JOIN classes c ON c.id = e.class_id WHERE c.school_id = "
              ":school AND c.name = :name AND e.dropped_at IS NULL)",
              lambda n: {**span, "name": f"כיתה {n % classes}"}),
        Query("summary teacher", 50, summary(lambda n: Scope("teacher", teacher(n))),
              SCHOOL_ANALYSES + " AND a.teacher_id = (SELECT id FROM users WHERE email = :email)",
              lambda n: {**span, "email": teacher(n)}),
        Query("summary student", 50,
              summary(lambda n: Scope("student", who.student_numbers[n % len(who.students)])),
              SCHOOL_ANALYSES + " AND a.student_id = :student",
              lambda n: {**span, "student": student(n)}),
        Query("flagged", 20,
              lambda uow, n: flagged.list_flagged(uow=uow, actor=who.principal),
              "SELECT count(*) FROM analysis_flags f JOIN analyses a ON a.id = f.analysis_id "
              "JOIN students s ON s.id = a.student_id WHERE f.school_id = :school "
              "AND s.deleted_at IS NULL AND a.deleted_at IS NULL AND a.flagged_for_review",
              lambda n: {"school": who.school_id}),
        Query("history (teacher)", 50,
              lambda uow, n: history.student_history(uow=uow, actor=who.teacher,
                                                     student_id=taught(n)),
              "SELECT count(*) FROM analyses WHERE student_id = :student AND deleted_at IS NULL",
              lambda n: {"student": taught(n)}),
        Query("export school", 50,
              lambda uow, n: exports.export_analyses(uow=uow, actor=who.exporter,
                                                     scope=Scope("school"), period=period),
              SCHOOL_ANALYSES, lambda n: {**span, "school": who.export_school_id}),
        Query("audit student", 50,
              lambda uow, n: records.student_disclosures(uow=uow, actor=who.admin,
                                                         student=str(student(n))),
              "SELECT count(*) FROM audit_logs WHERE resource_id = :sid "
              "OR metadata -> 'studentIds' ? :sid",
              lambda n: {"sid": str(student(n))}),
        Query("audit user", 50,
              lambda uow, n: audit_queries.audit_by_user(uow=uow, actor=who.admin,
                                                         email=who.teacher_email),
              "SELECT count(*) FROM audit_logs WHERE lower(user_email) = :email "
              "OR user_id = :uid",
              lambda n: {"email": who.teacher_email, "uid": str(who.teacher.user_id)}),
        Query("audit since", 50,
              lambda uow, n: audit_queries.audit_since(uow=uow, actor=who.admin, since=since),
              page.format(where="created_at >= :since"),
              lambda n: {"since": datetime(since.year, since.month, since.day,
                                           tzinfo=now.tzinfo)}),
        Query("retention dry-run", 50,
              lambda uow, n: retention.run_retention(uow=uow, actor=who.admin, dry_run=True),
              "SELECT (SELECT count(*) FROM students WHERE deleted_at < now() - interval "
              "'7 years' AND first_name <> 'REDACTED') + (SELECT count(*) FROM users WHERE "
              "deleted_at < now() - interval '2 years')", lambda n: {}),
        Query("student record", 50,
              lambda uow, n: records.export_student_record(uow=uow, actor=who.admin,
                                                           student=str(student(n))),
              # The rows the record holds: its analyses' turns, its enrollments and the
              # audit rows naming the student (its disclosure log, as `audit student` counts).
              "SELECT (SELECT count(*) FROM analyses a JOIN analysis_conversations c "
              "ON c.analysis_id = a.id WHERE a.student_id = :student) + (SELECT count(*) "
              "FROM class_enrollments WHERE student_id = :student) + (SELECT count(*) "
              "FROM audit_logs WHERE resource_id = :sid OR metadata -> 'studentIds' ? :sid)",
              lambda n: {"student": student(n), "sid": str(student(n))}),
    ]  # fmt: skip


def rows_read(plan: dict[str, Any]) -> int:
    """Rows every scan node of an EXPLAIN ANALYZE JSON plan produced or discarded."""
    total = 0
    if "Scan" in plan.get("Node Type", ""):
        kept = plan.get("Actual Rows", 0)
        thrown = plan.get("Rows Removed by Filter", 0)
        thrown += plan.get("Rows Removed by Index Recheck", 0)
        total += round((kept + thrown) * plan.get("Actual Loops", 1))
    for child in plan.get("Plans", []):
        total += rows_read(child)
    return total
