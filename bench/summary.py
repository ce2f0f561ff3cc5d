"""Summaries at scale: p50/p95 of each summary kind for a principal, against a plain count(*).

Seeds the MVP scale (15,000 students, 50,000 analyses, 300,000 conversation rows, 500,000
audit rows; 20 schools) or, with --year1, Year 1 (75,000 students, 500,000 analyses and ten
times the conversation and audit rows; 100 schools) with set-based SQL, once per database;
a database of the right size is reused. Then, for the principal of one school, it times the
real `summarize` service (audit row and commit included) for school, grade, class, teacher and
student summaries of this school year, and a plain count(*) over the same school's analyses
through the same session path in the same run. Prints p50/p95, the ratio, the EXPLAIN ANALYZE
of the slowest statement of the slowest kind, and PASS/FAIL for the school summary's p95
(informational: the exit code does not depend on it).

Run: `python -m bench.summary [--year1]` (DATABASE_URL, else an embedded server, .data/bench).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.databases import dsn, reusable_database, seed
from bench.roster import FIRST_NAMES, LAST_NAMES, _sql_array
from bench.servers import postgres_server
from bench.timing import percentile, timed_ms, total_time
from core.actor import Actor, Channel
from core.db import make_engine, make_session_factory
from core.models import UserRole
from core.periods import parse_period
from core.scopes import Scope
from core.services.summaries import summarize
from core.uow import UnitOfWork

TEACHERS_PER_SCHOOL = 25
CLASSES_PER_TEACHER = 2
STUDENTS_PER_SCHOOL = 750
TURNS_PER_ANALYSIS = 6
AUDIT_PER_ANALYSIS = 10
RUNS = 60
WARMUP = 10
P95_TARGET_MS = 200.0
BENCH_SCHOOL = 7
CHANNEL = Channel("CLI", chat_id="bench")
STRENGTHS = (
    "Strong math skills", "strong math skills.", "Strong  Math skills!", "Good problem solver",
    "Kind to peers", "קְרִיאָה שוטפת", "קריאה שוטפת.", "יצירתיות", "יצירתיות!", "עבודת צוות",
    "Curious and asks questions", "אחריות אישית",
)  # fmt: skip
WEAKNESSES = (
    "Struggles with reading comprehension", "struggles with reading comprehension!",
    "קשיי ריכוז", "קשיי ריכוז.", "Handwriting", "אי-סדר במחברות", "אי סדר במחברות",
    "Shy in class discussions", "קושי בשברים", "Homework not handed in",
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    """How much to seed."""

    name: str
    schools: int
    analyses: int

    @property
    def students(self) -> int:
        """Students across all schools."""
        return self.schools * STUDENTS_PER_SCHOOL

    @property
    def database(self) -> str:
        """One database per scale, so both can be kept."""
        return f"ge_bench_summary_{self.name}"


MVP = Scale("mvp", 20, 50_000)
YEAR1 = Scale("year1", 100, 500_000)


def _seed_sql(scale: Scale) -> list[tuple[str, str]]:
    per_school = scale.analyses // scale.schools
    classes = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER
    school_ids = "SELECT id, substr(code, 4)::int AS s FROM schools WHERE code LIKE 'BS-%'"
    return [
        ("districts", f"""
        INSERT INTO districts (name, code)
        SELECT 'מחוז ' || d, 'BD-' || d FROM generate_series(1, {(scale.schools + 9) // 10}) d
        """),
        ("schools", f"""
        INSERT INTO schools (name, code, district_id)
        SELECT 'בית ספר ' || s, 'BS-' || lpad(s::text, 3, '0'), d.id
        FROM generate_series(1, {scale.schools}) s
        JOIN districts d ON d.code = 'BD-' || (1 + (s - 1) / 10)
        """),
        ("users", f"""
        WITH sc AS ({school_ids})
        INSERT INTO users (email, role, first_name, last_name, school_id)
        SELECT 't' || sc.s || '-' || t || '@bench.test', 'TEACHER'::user_role,
               ({_sql_array(FIRST_NAMES)})[1 + (sc.s * 31 + t) % {len(FIRST_NAMES)}],
               ({_sql_array(LAST_NAMES)})[1 + (sc.s * 17 + t * 7) % {len(LAST_NAMES)}], sc.id
        FROM sc CROSS JOIN generate_series(0, {TEACHERS_PER_SCHOOL - 1}) t
        UNION ALL
        SELECT 'principal' || sc.s || '@bench.test', 'PRINCIPAL', 'מנהלת', 'בית ספר ' || sc.s,
               sc.id FROM sc
        UNION ALL
        SELECT 'admin@bench.test', 'ADMIN', 'Admin', 'Bench', sc.id FROM sc WHERE sc.s = 1
        """),
        ("classes", f"""
        WITH sc AS ({school_ids})
        INSERT INTO classes (name, grade_level, teacher_id, school_id, academic_year)
        SELECT 'כיתה ' || c, (1 + c % 12)::text, u.id, sc.id, '2026-2027'
        FROM sc CROSS JOIN generate_series(0, {classes - 1}) c
        JOIN users u ON u.email = 't' || sc.s || '-' || (c / {CLASSES_PER_TEACHER}) || '@bench.test'
        """),
        ("students", f"""
        WITH sc AS ({school_ids})
        INSERT INTO students (first_name, last_name, student_id, grade_level, school_id,
                              is_active, deleted_at)
        SELECT ({_sql_array(FIRST_NAMES)})[1 + (n * 7919) % {len(FIRST_NAMES)}],
               ({_sql_array(LAST_NAMES)})[1 + (n * 104729 / 40) % {len(LAST_NAMES)}],
               'S' || lpad(k::text, 5, '0'), (1 + k % 12)::text, sc.id,
               n % 97 <> 0, CASE WHEN n % 211 = 0 THEN now() END
        FROM sc CROSS JOIN generate_series(0, {STUDENTS_PER_SCHOOL - 1}) k
        CROSS JOIN LATERAL (SELECT (sc.s * {STUDENTS_PER_SCHOOL} + k)::bigint AS n) nn
        """),
        ("class_enrollments", f"""
        INSERT INTO class_enrollments (student_id, class_id, dropped_at)
        SELECT st.id, c.id, CASE WHEN (k + e) % 53 = 0 THEN now() END
        FROM (SELECT id, school_id, substr(student_id, 2)::int AS k FROM students) st
        CROSS JOIN generate_series(0, 1) e
        JOIN classes c ON c.school_id = st.school_id
                      AND c.name = 'כיתה ' || ((st.k + e * {classes // 2}) % {classes})
        """),
        ("analyses", f"""
        WITH sc AS ({school_ids}), pools AS (
          SELECT {_sql_array(STRENGTHS)} AS st, {_sql_array(WEAKNESSES)} AS wk
        )
        INSERT INTO analyses (student_id, teacher_id, status, results, teacher_edits,
                              private_notes, total_tokens, estimated_cost, flagged_for_review,
                              created_at, updated_at, deleted_at)
        SELECT stu.id, te.id,
               (CASE WHEN i % 10 < 8 THEN 'COMPLETED' WHEN i % 10 = 8 THEN 'IN_PROGRESS'
                     ELSE 'FAILED' END)::analysis_status,
               CASE WHEN i % 10 <> 9 THEN jsonb_build_object(
                 'strengths', jsonb_build_array(p.st[1 + i % {len(STRENGTHS)}],
                                                p.st[1 + (i / 7) % {len(STRENGTHS)}]),
                 'weaknesses', jsonb_build_array(p.wk[1 + (i / 3) % {len(WEAKNESSES)}]),
                 'recommendations', jsonb_build_array('Extra reading time', 'תרגול בזוגות'),
                 'learningStyle', 'Visual', 'confidence', (50 + i % 50) / 100.0) END,
               CASE WHEN i % 7 = 0 THEN jsonb_build_object(
                 'strengths', jsonb_build_array(p.st[1 + (i / 11) % {len(STRENGTHS)}]),
                 'confidence', 0.9) END,
               CASE WHEN i % 10 = 3 THEN 'הערה פרטית ' || i END,
               1500 + i % 900, (1500 + i % 900) * 0.0000006,
               i % 33 = 0,
               at, at, CASE WHEN i % 101 = 0 THEN now() END
        FROM sc CROSS JOIN pools p CROSS JOIN generate_series(0, {per_school - 1}) i
        CROSS JOIN LATERAL (
          SELECT now() - ((i * 7) % 700) * interval '1 day' - (i % 24) * interval '1 hour' AS at
        ) t
        JOIN students stu ON stu.school_id = sc.id
         AND stu.student_id = 'S' || lpad(((i * 7919) % {STUDENTS_PER_SCHOOL})::text, 5, '0')
        JOIN users te ON te.email = 't' || sc.s || '-' || (i % {TEACHERS_PER_SCHOOL})
                                    || '@bench.test'
        """),
        ("analysis_conversations", f"""
        INSERT INTO analysis_conversations (analysis_id, role, content, tokens, sequence_number,
                                            created_at)
        SELECT a.id, (CASE WHEN q = 1 THEN 'SYSTEM' WHEN q % 2 = 0 THEN 'ASSISTANT'
                           ELSE 'USER' END)::conversation_role,
               'תור ' || q || ' של הראיון', 40, q, a.created_at + q * interval '1 minute'
        FROM analyses a CROSS JOIN generate_series(1, {TURNS_PER_ANALYSIS}) q
        """),
        ("audit_logs", f"""
        INSERT INTO audit_logs (user_id, user_email, user_role, action, resource, resource_id,
                                metadata, created_at)
        SELECT a.teacher_id::text, 'teacher@bench.test', 'TEACHER',
               (CASE WHEN j = 1 THEN 'CREATE' WHEN j < 8 THEN 'UPDATE' ELSE 'READ'
                END)::audit_action, 'Analysis', a.id::text,
               jsonb_build_object('channel', jsonb_build_object('platform', 'SLACK'),
                 'studentIds', jsonb_build_array(a.student_id::text),
                 'changedFields', CASE WHEN j = 7 AND a.flagged_for_review
                   THEN jsonb_build_array('flagged_for_review')
                   ELSE jsonb_build_array('conversation') END),
               a.created_at + j * interval '2 minutes'
        FROM analyses a CROSS JOIN generate_series(1, {AUDIT_PER_ANALYSIS}) j
        """),
    ]  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One summary kind and the scopes its runs cycle through."""

    label: str
    scopes: list[Scope]


async def _subjects(url: str) -> tuple[Actor, Any, list[Kind]]:
    """The principal of the bench school, its id, and scopes of every kind within it."""
    conn = await asyncpg.connect(dsn(url))
    try:
        code = f"BS-{BENCH_SCHOOL:03d}"
        school = await conn.fetchrow("SELECT id, district_id FROM schools WHERE code = $1", code)
        principal = await conn.fetchrow(
            "SELECT id, email FROM users WHERE email = $1", f"principal{BENCH_SCHOOL}@bench.test"
        )
        students = await conn.fetch(
            "SELECT student_id FROM students WHERE school_id = $1 AND deleted_at IS NULL "
            "ORDER BY md5(student_id) LIMIT $2",
            school["id"],
            RUNS,
        )
    finally:
        await conn.close()
    actor = Actor(
        principal["id"], principal["email"], UserRole.PRINCIPAL, school["id"],
        school["district_id"], CHANNEL,
    )  # fmt: skip
    classes = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER
    kinds = [
        Kind("school", [Scope("school")]),
        Kind("grade", [Scope("grade", str(1 + n % 12)) for n in range(RUNS)]),
        Kind("class", [Scope("class", f"כיתה {n % classes}") for n in range(RUNS)]),
        Kind("teacher", [
            Scope("teacher", f"t{BENCH_SCHOOL}-{n % TEACHERS_PER_SCHOOL}@bench.test")
            for n in range(RUNS)
        ]),
        Kind("student", [Scope("student", row["student_id"]) for row in students]),
    ]  # fmt: skip
    return actor, school["id"], kinds


class Capture:
    """Every statement the engine sends while `on`, with its parameters and duration."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.on = False
        self.seen: list[tuple[float, str, Any]] = []
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if self.on:
            elapsed = (time.perf_counter() - conn.info.pop("started")) * 1000
            self.seen.append((elapsed, statement, params))


async def _explain(factory: async_sessionmaker[AsyncSession], statement: str, params: Any) -> str:
    async with factory() as session:
        connection = await session.connection()
        plan = await connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, SUMMARY ON) " + statement, params
        )
        lines = [line for (line,) in plan]
        await session.rollback()
        return "\n".join(lines)


async def _measure(url: str, scale: Scale) -> None:
    actor, school_id, kinds = await _subjects(url)
    period = parse_period("this-year", now=datetime.now(UTC))
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    capture = Capture(engine)

    async def run(scope: Scope) -> None:
        async with UnitOfWork(factory) as uow:
            await summarize(uow=uow, actor=actor, scope=scope, period=period)

    async def count() -> None:
        async with UnitOfWork(factory) as uow:
            await uow.session.execute(
                text(
                    "SELECT count(*) FROM analyses a JOIN students s ON s.id = a.student_id "
                    "WHERE s.school_id = :id"
                ),
                {"id": school_id},
            )

    try:
        for kind in kinds:
            for n in range(WARMUP):
                await run(kind.scopes[n % len(kind.scopes)])
        for _ in range(WARMUP):
            await count()
        base = [await timed_ms(count) for _ in range(RUNS)]
        b50, b95 = statistics.median(base), percentile(base, 95)
        print(f"\nSchool BS-{BENCH_SCHOOL:03d}, period {period.describe()}, {RUNS} runs each.")
        print(f"plain count(*) of the school's analyses:  p50 {b50:7.2f} ms   p95 {b95:7.2f} ms")
        print(f"\n{'summary kind':<14}{'p50 ms':>10}{'p95 ms':>10}{'x count p50':>14}"
              f"{'x count p95':>14}")  # fmt: skip
        results: dict[str, float] = {}
        for kind in kinds:
            scopes = kind.scopes * (RUNS // len(kind.scopes))
            times = [await timed_ms(lambda s=s: run(s)) for s in scopes]
            p50, p95 = statistics.median(times), percentile(times, 95)
            results[kind.label] = p95
            print(f"{kind.label:<14}{p50:>10.2f}{p95:>10.2f}{p50 / b50:>14.1f}{p95 / b95:>14.1f}")
        slowest = max(kinds, key=lambda k: results[k.label])
        capture.on = True
        await run(slowest.scopes[0])
        capture.on = False
        print(f"\nStatements of one '{slowest.label}' summary (the slowest kind by p95):")
        for elapsed, statement, _params in capture.seen:
            print(f"  {elapsed:7.2f} ms  {' '.join(statement.split())[:90]}")
        _elapsed, statement, params = max(capture.seen, key=lambda seen: seen[0])
        print("\nEXPLAIN ANALYZE of its slowest statement:")
        print(await _explain(factory, statement, params))
        verdict = "PASS" if results["school"] < P95_TARGET_MS else "FAIL"
        print(f"\nSchool summary p95 {results['school']:.1f} ms, target < {P95_TARGET_MS:.0f} ms "
              f"at MVP scale ({scale.name} run): {verdict} (informational)")  # fmt: skip
    finally:
        await engine.dispose()


def main() -> None:
    """Seed (or reuse) the benchmark database of the chosen scale, then measure and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year1", action="store_true", help="Year 1 scale instead of the MVP")
    scale = YEAR1 if parser.parse_args().year1 else MVP
    wanted = {"students": scale.students, "analyses": scale.analyses}
    with total_time(), postgres_server() as server_url:
        url, reused = asyncio.run(reusable_database(server_url, scale.database, wanted))
        turns, audit = scale.analyses * TURNS_PER_ANALYSIS, scale.analyses * AUDIT_PER_ANALYSIS
        shape = (
            f"{scale.name}: {scale.schools} schools, {scale.students:,} students, "
            f"{scale.analyses:,} analyses, {turns:,} conversation rows, {audit:,} audit rows"
        )
        print(f"{'Reusing' if reused else 'Seeding'} {scale.database} ({shape})")
        if not reused:
            asyncio.run(seed(url, _seed_sql(scale), rows_width=9, timed=True))
        asyncio.run(_measure(url, scale))


if __name__ == "__main__":
    main()
