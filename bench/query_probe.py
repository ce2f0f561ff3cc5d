"""Where one bench-summary query's time goes: each statement, the process's CPU, its slow runs.

Runs one query of bench-summary's catalogue (its label, as the report prints it) N times through
the real services, as bench-summary does (application role, audit row and commit included, or
`--owner` with row-level security bypassed), and prints wall time p50/p95, this process's CPU per
run (the service's Python, SQLAlchemy, asyncpg), and each kind of statement the unit sent with
its time: the session's through SQLAlchemy's events, the driver's (`UnitOfWork.read_row`,
BEGIN, COMMIT) through asyncpg's query log. Then the slowest runs, with the WAL each wrote and
whether a checkpoint began meanwhile (the whole server's: run it on a quiet one). `--profile`
adds cProfile's top functions of the timed runs.

Run: `python -m bench.query_probe LABEL [--runs N] [--owner] [--profile] [--database NAME]`
(DATABASE_URL's server; default database ge_bench_year3, the bench school's subjects).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event

from adapters.http_app import freeze_startup_objects
from bench.databases import as_application, dsn, with_database
from bench.servers import postgres_server
from bench.summary import BENCH_SCHOOL
from bench.summary_queries import queries, subjects
from bench.timing import percentile
from core.db import make_engine, make_session_factory
from core.periods import parse_period
from core.uow import UnitOfWork

STATE = (
    "SELECT pg_current_wal_insert_lsn() AS lsn, "
    "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints"
)


def _kind(statement: str) -> str:
    """A statement's first words, enough to tell the unit's statements apart."""
    return " ".join(statement.split()[:4])[:48]


async def probe(url: str, label: str, runs: int, *, owner: bool, profile: bool) -> None:
    """Time `runs` calls of the query `label`, statement by statement."""
    now = datetime.now(UTC)
    who = await subjects(url, BENCH_SCHOOL)
    catalogue = {q.label: q for q in queries(who, parse_period("this-year", now=now), now)}
    if label not in catalogue:
        raise SystemExit(f"no query {label!r}; the labels: {', '.join(catalogue)}")
    query = catalogue[label]
    engine = make_engine(url if owner else await as_application(url), pool_size=1)
    factory = make_session_factory(engine)
    steps: list[tuple[str, float]] = []

    def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["t"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        steps.append((_kind(statement), (time.perf_counter() - conn.info.pop("t")) * 1000))

    def connected(dbapi_connection: Any, record: Any) -> None:
        # asyncpg logs what it runs itself (prepared statements through SQLAlchemy excepted,
        # which the cursor events above time): BEGIN, COMMIT and the driver's statements.
        dbapi_connection.driver_connection.add_query_logger(
            lambda logged: steps.append((_kind(logged.query), logged.elapsed * 1000))
        )

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", before)
    event.listen(sync, "after_cursor_execute", after)
    event.listen(sync, "connect", connected)
    freeze_startup_objects()  # as `serve` does (bench-summary says why)

    async def once(n: int) -> None:
        async with UnitOfWork(factory) as uow:
            await query.call(uow, n)

    watch = await asyncpg.connect(dsn(url))
    rows: list[tuple[int, float, float, int]] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile() if profile else None
    try:
        for n in range(5):  # warm: compiled statements, prepared plans, the type cache
            await once(n)
        started_cpu = time.process_time()
        for n in range(runs):
            state = await watch.fetchrow(STATE)
            steps.clear()
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            await once(n)
            total = (time.perf_counter() - started) * 1000
            if profiler:
                profiler.disable()
            await asyncio.sleep(0)  # asyncpg delivers its query log on the loop
            for kind, ms in steps:
                by_kind[kind].append(ms)
            done = await watch.fetchrow(STATE)
            wal = int(await watch.fetchval("SELECT $1::pg_lsn - $2::pg_lsn", done["lsn"],
                                           state["lsn"]))  # fmt: skip
            rows.append((n, total, wal, done["checkpoints"] - state["checkpoints"]))
        cpu = (time.process_time() - started_cpu) * 1000 / runs
    finally:
        await watch.close()
        await engine.dispose()
    totals = [r[1] for r in rows]
    side = "owner, RLS bypassed" if owner else "application role"
    p50, p95 = statistics.median(totals), percentile(totals, 95)
    print(f"{label} ({side}), {runs} runs: p50 {p50:.2f} ms, p95 {p95:.2f} ms; "
          f"this process's CPU {cpu:.2f} ms a run")  # fmt: skip
    print(f"{'statement':50}{'per run':>8}{'p50 ms':>9}{'max ms':>9}")
    for kind, times in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
        print(f"{kind:50}{len(times) / runs:>8.1f}{statistics.median(times):>9.2f}"
              f"{max(times):>9.2f}")  # fmt: skip
    print(f"slowest runs:{'':4}{'run':>5}{'ms':>8}{'WAL kB':>9}{'ckpt':>5}")
    for n, total, wal, checkpoints in sorted(rows, key=lambda r: -r[1])[: max(3, runs // 20)]:
        print(f"{'':17}{n:>5}{total:>8.2f}{wal / 1024:>9.0f}{checkpoints:>5}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    """Probe one bench-summary query on the Year-3 database (or `--database`)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("label", help='a query as bench-summary prints it, e.g. "export school"')
    parser.add_argument("--database", default="ge_bench_year3")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--owner", action="store_true", help="as the owner (RLS bypassed)")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed runs")
    args = parser.parse_args()
    with postgres_server() as server_url:
        asyncio.run(probe(with_database(server_url, args.database), args.label, args.runs,
                          owner=args.owner, profile=args.profile))  # fmt: skip


if __name__ == "__main__":
    main()
