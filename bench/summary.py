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

from bench.databases import as_application, dsn, reusable_database, seed
from bench.servers import postgres_server
from bench.summary_seed import (
    AUDIT_PER_ANALYSIS,
    CLASSES_PER_TEACHER,
    MVP,
    TEACHERS_PER_SCHOOL,
    TURNS_PER_ANALYSIS,
    YEAR1,
    Scale,
    seed_sql,
)
from bench.timing import percentile, timed_ms, total_time
from core.actor import Actor, Channel
from core.db import make_engine, make_session_factory
from core.models import UserRole
from core.periods import parse_period
from core.scopes import Scope
from core.services.summaries import summarize
from core.uow import UnitOfWork

RUNS = 60
WARMUP = 10
P95_TARGET_MS = 200.0
BENCH_SCHOOL = 7
CHANNEL = Channel("CLI", chat_id="bench")


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


async def _explain(
    factory: async_sessionmaker[AsyncSession], actor: Actor, statement: str, params: Any
) -> str:
    async with UnitOfWork(factory) as uow:
        await uow.act_as(actor)  # row-level security as the summary saw it
        session = uow.session
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
    engine = make_engine(await as_application(url), pool_size=2)
    factory = make_session_factory(engine)
    capture = Capture(engine)

    async def run(scope: Scope) -> None:
        async with UnitOfWork(factory) as uow:
            await summarize(uow=uow, actor=actor, scope=scope, period=period)

    async def count() -> None:
        async with UnitOfWork(factory) as uow:
            await uow.act_as(actor)
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
        print(await _explain(factory, actor, statement, params))
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
            asyncio.run(seed(url, seed_sql(scale), rows_width=9, timed=True))
        asyncio.run(_measure(url, scale))


if __name__ == "__main__":
    main()
