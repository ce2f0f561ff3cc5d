"""Roster search at national scale: `find_students` latency against a primary-key lookup.

Seeds 100 schools, 7,500 teachers with two classes of 30 each and 225,000 students (set-based
SQL, once; a database with the right row count is reused), then times the real service, audit
rows included, for a teacher and for a principal, and a plain primary-key read through the same
session path in the same run. Prints p50/p95, their ratio, the plans, and PASS/FAIL against the
p95 target (informational: the exit code does not depend on it).

Run: `python -m bench.roster` (DATABASE_URL, else an embedded server under .data/bench).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import uuid
from dataclasses import dataclass

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.databases import dsn, reusable_database, seed
from bench.servers import postgres_server
from bench.timing import percentile, timed_ms, total_time
from core.actor import Actor, Channel
from core.db import make_engine, make_session_factory
from core.models import UserRole
from core.policy import visible_students
from core.search import fold, search_statement
from core.services.students import find_students
from core.uow import UnitOfWork

DB_NAME = "ge_bench_roster"
SCHOOLS = 100
TEACHERS_PER_SCHOOL = 75
CLASSES_PER_TEACHER = 2
CLASS_SIZE = 30
# Every student sits in two classes of different teachers: 150 classes x 30 seats / 2.
STUDENTS_PER_SCHOOL = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER * CLASS_SIZE // 2
STUDENTS = SCHOOLS * STUDENTS_PER_SCHOOL
QUERIES_PER_ACTOR = 300
WARMUP = 30
P95_TARGET_MS = 10.0
BENCH_SCHOOL = 42
CHANNEL = Channel("CLI", chat_id="bench")

# Small lists combined: niqqud, final letters, hyphens, apostrophes, accents, two scripts.
FIRST_NAMES = (
    "נועה", "יוסף", "מִרְיָם", "אברהם", "שירה", "בן-ציון", "אֵלִיָּהוּ", "יעל", "תמר", "איתן",
    "אורי", "מאיה", "עומר", "רוּת", "שָׁלוֹם", "דניאל", "אריאל", "הדס", "ליאור", "חנה",
    "משה", "רבקה", "יהונתן", "נחום", "עדן", "זיו", "קרן", "ניר", "אלון", "נעמי",
    "David", "Liam", "Emma", "Noah", "Olivia", "José", "Sarah", "Ethan", "Chloé", "Lucas",
)  # fmt: skip
LAST_NAMES = (
    "כהן", "לוי", "מזרחי", "פרץ", "ביטון", "דהן", "אברהם", "פרידמן", "אזולאי", "מלכה",
    "חדד", "גבאי", "בן-דוד", "שמעון", "אוחיון", "יוסף", "עמר", "כץ", "ברק", "רוזן",
    "צור", "הלפרן", "שלום", "נחום", "טל", "אֶלְבָּז", "בן-חיים", "קליין", "וייס", "אשכנזי",
    "גולדשטיין", "רבינוביץ", "שפירא", "חביב", "זילברמן", "נאמן", "בירנבאום", "אלמוג", "סגל",
    "Smith", "O'Brien", "Johnson", "Williams", "García", "Martin", "D'Angelo", "Goldberg",
    "Levy-Cohen", "Brown", "Davis",
)  # fmt: skip
HEBREW_LETTERS = "אבגדהוזחטיכלמנסעפצקרשת"
LATIN_LETTERS = "abcdefghijklmnoprstuvwyz"


def _sql_array(values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"


SEED_SQL = [
    (
        "schools",
        f"""
        INSERT INTO schools (name, code)
        SELECT 'בית ספר ' || s, 'BENCH-' || lpad(s::text, 3, '0')
        FROM generate_series(1, {SCHOOLS}) AS s
        """,
    ),
    (
        "users",
        f"""
        WITH sc AS (
          SELECT id, substr(code, 7)::int AS s FROM schools WHERE code LIKE 'BENCH-%'
        )
        INSERT INTO users (email, role, first_name, last_name, school_id)
        SELECT 'teacher' || sc.s || '-' || t || '@bench.test', 'TEACHER'::user_role,
               ({_sql_array(FIRST_NAMES)})[1 + (sc.s * 31 + t) % {len(FIRST_NAMES)}],
               ({_sql_array(LAST_NAMES)})[1 + (sc.s * 17 + t * 7) % {len(LAST_NAMES)}],
               sc.id
        FROM sc CROSS JOIN generate_series(0, {TEACHERS_PER_SCHOOL - 1}) AS t
        UNION ALL
        SELECT 'principal' || sc.s || '@bench.test', 'PRINCIPAL'::user_role, 'מנהלת',
               'בית ספר ' || sc.s, sc.id
        FROM sc
        UNION ALL
        SELECT 'admin@bench.test', 'ADMIN'::user_role, 'Admin', 'Bench', sc.id
        FROM sc WHERE sc.s = 1
        """,
    ),
    (
        "classes",
        f"""
        INSERT INTO classes (name, grade_level, section, teacher_id, school_id, academic_year,
                             is_active)
        SELECT 'כיתה ' || c, (1 + c % 12)::text, (c % 4)::text, u.id, u.school_id,
               '2026-2027', (c % 97) <> 0
        FROM users AS u
        CROSS JOIN LATERAL (
          SELECT split_part(split_part(u.email, '-', 2), '@', 1)::int AS t
        ) AS tt
        CROSS JOIN LATERAL (
          SELECT tt.t * {CLASSES_PER_TEACHER} + k AS c
          FROM generate_series(0, {CLASSES_PER_TEACHER - 1}) AS k
        ) AS cc
        WHERE u.role = 'TEACHER' AND u.email LIKE 'teacher%@bench.test'
        """,
    ),
    (
        "students",
        f"""
        INSERT INTO students (first_name, last_name, student_id, grade_level, school_id,
                              deleted_at)
        SELECT ({_sql_array(FIRST_NAMES)})[1 + (n * 7919) % {len(FIRST_NAMES)}],
               ({_sql_array(LAST_NAMES)})[1 + ((n * 104729) / {len(FIRST_NAMES)})
                                              % {len(LAST_NAMES)}],
               'S' || lpad(k::text, 5, '0'), (1 + k % 12)::text, sc.id,
               CASE WHEN n % 211 = 0 THEN now() END
        FROM (SELECT id, substr(code, 7)::int AS s FROM schools WHERE code LIKE 'BENCH-%') AS sc
        CROSS JOIN generate_series(0, {STUDENTS_PER_SCHOOL - 1}) AS k
        CROSS JOIN LATERAL (SELECT (sc.s * {STUDENTS_PER_SCHOOL} + k)::bigint AS n) AS nn
        """,
    ),
    (
        "class_enrollments",
        f"""
        WITH st AS (
          SELECT id, school_id, substr(student_id, 2)::int AS k FROM students
        ), cl AS (
          SELECT c.id, c.school_id, substr(c.name, 6)::int AS c FROM classes AS c
        )
        INSERT INTO class_enrollments (student_id, class_id, dropped_at)
        SELECT st.id, cl.id, CASE WHEN (st.k + e) % 53 = 0 THEN now() END
        FROM st CROSS JOIN generate_series(0, 1) AS e
        JOIN cl ON cl.school_id = st.school_id
               AND cl.c = (st.k / {CLASS_SIZE // 2} + e * {STUDENTS_PER_SCHOOL // CLASS_SIZE})
                          % {TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER}
        """,
    ),
    (
        "audit row for the seed",
        f"""
        INSERT INTO audit_logs (user_email, user_role, action, resource, resource_id, metadata)
        VALUES ('system', 'ADMIN', 'CREATE', 'BenchSeed', '{DB_NAME}',
                jsonb_build_object('channel', jsonb_build_object('platform', 'CLI'),
                                   'students', {STUDENTS}))
        """,
    ),
]


@dataclass(frozen=True)
class Subject:
    """One acting user and the queries they type."""

    label: str
    actor: Actor
    queries: list[tuple[str, str]]
    example: str


def _typo(name: str, rng: random.Random) -> str | None:
    """`name` with one inner letter replaced, or None when it is too short to allow a typo."""
    if len(name) < 5 or not name.isalpha():
        return None
    letters = HEBREW_LETTERS if "\u0590" <= name[0] <= "\u05ff" else LATIN_LETTERS
    at = rng.randrange(1, len(name) - 1)
    replacement = rng.choice([c for c in letters if c != name[at].lower()])
    return name[:at] + replacement + name[at + 1 :]


def _queries(rows: list[asyncpg.Record], rng: random.Random) -> list[tuple[str, str]]:
    """A shuffled third each of exact, prefix and one-typo queries from the visible names."""
    per_kind = QUERIES_PER_ACTOR // 3
    exact: list[tuple[str, str]] = []
    prefix: list[tuple[str, str]] = []
    typo: list[tuple[str, str]] = []
    while min(len(exact), len(prefix), len(typo)) < per_kind:
        row = rng.choice(rows)
        first, last = row["first_name"], row["last_name"]
        choice = rng.random()
        if len(exact) < per_kind:
            if choice < 0.5:
                exact.append(("exact", f"{first} {last}"))
            elif choice < 0.8:
                exact.append(("exact", f"{last} {first}"))
            else:
                exact.append(("exact", row["student_id"]))
        if len(prefix) < per_kind:
            prefix.append(("prefix", last[:3] if choice < 0.6 else f"{first} {last[:2]}"))
        if len(typo) < per_kind:
            wrong = _typo(last, rng) or _typo(first, rng)
            if wrong is not None:
                typo.append(("typo", wrong))
    queries = exact + prefix + typo
    rng.shuffle(queries)
    return queries


async def _subjects(url: str) -> tuple[list[Subject], list[uuid.UUID]]:
    """A teacher and the principal of one school, their queries, and ids for the pk baseline."""
    rng = random.Random(20261125)
    conn = await asyncpg.connect(dsn(url))
    try:
        code = f"BENCH-{BENCH_SCHOOL:03d}"
        school = await conn.fetchrow("SELECT id, district_id FROM schools WHERE code = $1", code)
        teacher = await conn.fetchrow(
            "SELECT id, email FROM users WHERE email = $1", f"teacher{BENCH_SCHOOL}-10@bench.test"
        )
        principal = await conn.fetchrow(
            "SELECT id, email FROM users WHERE email = $1", f"principal{BENCH_SCHOOL}@bench.test"
        )
        mine = await conn.fetch(
            """
            SELECT DISTINCT s.first_name, s.last_name, s.student_id FROM students s
            JOIN class_enrollments e ON e.student_id = s.id AND e.dropped_at IS NULL
            JOIN classes c ON c.id = e.class_id AND c.is_active AND c.deleted_at IS NULL
            WHERE c.teacher_id = $1 AND s.deleted_at IS NULL
            ORDER BY s.student_id
            """,
            teacher["id"],
        )
        school_rows = await conn.fetch(
            "SELECT first_name, last_name, student_id FROM students "
            "WHERE school_id = $1 AND deleted_at IS NULL ORDER BY student_id",
            school["id"],
        )
        ids = [
            r["id"] for r in await conn.fetch("SELECT id FROM students ORDER BY random() LIMIT 400")
        ]
    finally:
        await conn.close()

    def actor(row: asyncpg.Record, role: UserRole) -> Actor:
        return Actor(row["id"], row["email"], role, school["id"], school["district_id"], CHANNEL)

    subjects = [
        Subject(
            f"teacher ({len(mine)} students)",
            actor(teacher, UserRole.TEACHER),
            _queries(list(mine), rng),
            f"{mine[0]['first_name']} {mine[0]['last_name']}",
        ),
        Subject(
            f"principal ({len(school_rows)} students)",
            actor(principal, UserRole.PRINCIPAL),
            _queries(list(school_rows), rng),
            f"{school_rows[7]['first_name']} {school_rows[7]['last_name']}",
        ),
    ]
    return subjects, ids


async def _explain(
    session_factory: async_sessionmaker[AsyncSession], actor: Actor, query: str
) -> str:
    """EXPLAIN ANALYZE of the exact statement `find_students` runs for this actor and query."""
    async with session_factory() as session:
        folded = await fold(session, query)
        statement = search_statement(folded, query, visible_students(actor), 10)
        connection = await session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        plan = await connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + str(compiled), params
        )
        await session.rollback()
        return "\n".join(line for (line,) in plan)


async def _measure(url: str) -> None:
    subjects, ids = await _subjects(url)
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    try:

        async def search(actor: Actor, query: str) -> None:
            async with UnitOfWork(factory) as uow:
                await find_students(uow=uow, actor=actor, query=query)

        async def by_pk(student_id: uuid.UUID) -> None:
            async with UnitOfWork(factory) as uow:
                result = await uow.session.execute(
                    text("SELECT * FROM students WHERE id = :id"), {"id": student_id}
                )
                result.one()

        for subject in subjects:
            for _kind, query in subject.queries[:WARMUP]:
                await search(subject.actor, query)
        for student_id in ids[:WARMUP]:
            await by_pk(student_id)

        pk = [await timed_ms(lambda i=i: by_pk(i)) for i in ids[WARMUP:]]
        pk50, pk95 = statistics.median(pk), percentile(pk, 95)
        print(f"\nPrimary-key lookup via UnitOfWork session ({len(pk)} reads):")
        print(f"  p50 {pk50:6.2f} ms   p95 {pk95:6.2f} ms")

        verdicts = []
        for subject in subjects:
            times: dict[str, list[float]] = {"exact": [], "prefix": [], "typo": []}
            for kind, query in subject.queries:
                times[kind].append(await timed_ms(lambda q=query, a=subject.actor: search(a, q)))
            every = [t for ts in times.values() for t in ts]
            p50, p95 = statistics.median(every), percentile(every, 95)
            verdict = "PASS" if p95 < P95_TARGET_MS else "FAIL"
            verdicts.append(verdict)
            print(f"\nfind_students as {subject.label}, {len(every)} queries, audit included:")
            for kind, ts in times.items():
                print(f"  {kind:<6} n={len(ts):3d}  p50 {statistics.median(ts):6.2f} ms   "
                      f"p95 {percentile(ts, 95):6.2f} ms")  # fmt: skip
            print(f"  all    n={len(every):3d}  p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
            print(f"  ratio to pk lookup: p50 x{p50 / pk50:.1f}   p95 x{p95 / pk95:.1f}")
            print(f"  target p95 < {P95_TARGET_MS:.0f} ms: {verdict}")

        for subject in subjects:
            print(f"\nEXPLAIN ANALYZE, {subject.label}, query {subject.example!r}:")
            print(await _explain(factory, subject.actor, subject.example))
        print(f"\nOverall: {'PASS' if set(verdicts) == {'PASS'} else 'FAIL'} "
              f"(p95 < {P95_TARGET_MS:.0f} ms; informational)")  # fmt: skip
    finally:
        await engine.dispose()


def main() -> None:
    """Seed (or reuse) the benchmark database, then measure and report."""
    with total_time(), postgres_server() as server_url:
        url, reused = asyncio.run(reusable_database(server_url, DB_NAME, {"students": STUDENTS}))
        shape = (
            f"{SCHOOLS} schools, {SCHOOLS * TEACHERS_PER_SCHOOL} teachers, "
            f"{SCHOOLS * TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER} classes, {STUDENTS} students"
        )
        if reused:
            print(f"Reusing database {DB_NAME} ({shape}).")
        else:
            print(f"Seeding database {DB_NAME} ({shape}):")
            asyncio.run(seed(url, SEED_SQL, timed=True))
        asyncio.run(_measure(url))


if __name__ == "__main__":
    main()
