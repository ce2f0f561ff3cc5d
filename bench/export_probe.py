"""Where a school export's slow runs go: each statement's time, the WAL it wrote, checkpoints.

Runs the principal's `export analyses` for the bench school N times (as bench-summary does,
application role, audit row and commit included) and prints, per run, the time of each
statement the engine sent (the export's SELECT, the audit INSERT, the COMMIT), the bytes of WAL
the run wrote (its connection's `pg_current_wal_insert_lsn()` before and after: the whole
server's, so run it on a quiet server) and whether a checkpoint began meanwhile
(`pg_stat_bgwriter`). Then the slowest runs and what they share.

Run: `python -m bench.export_probe [--database NAME] [--runs N]` (DATABASE_URL's server).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.orm import Session

from adapters.http_app import freeze_startup_objects
from bench.databases import as_application, dsn, with_database
from bench.servers import postgres_server
from bench.summary_queries import subjects
from bench.timing import percentile
from core.db import make_engine, make_session_factory
from core.periods import parse_period
from core.scope_words import Scope
from core.services import exports
from core.uow import UnitOfWork

STATE = (
    "SELECT pg_current_wal_insert_lsn() AS lsn, "
    "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints"
)


def _kind(statement: str) -> str:
    head = statement.lstrip()[:40].upper()
    for word in ("INSERT INTO AUDIT_LOGS", "COMMIT", "SELECT SET_CONFIG", "SELECT GE_ACT_AS"):
        if head.startswith(word):
            return word.split()[-1].lower()
    return "select" if head.startswith(("SELECT", "WITH")) else head.split()[0].lower()


async def probe(url: str, runs: int) -> None:
    """Time `runs` exports statement by statement, with WAL bytes and checkpoints."""
    now = datetime.now(UTC)
    period = parse_period("this-year", now=now)
    who = await subjects(url, 7)
    engine = make_engine(await as_application(url), pool_size=1)
    factory = make_session_factory(engine)
    steps: list[tuple[str, float]] = []
    sync = engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["t"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        steps.append((_kind(statement), (time.perf_counter() - conn.info.pop("t")) * 1000))

    commits: list[float] = []

    def commit(conn: Any) -> None:
        commits.append(time.perf_counter())

    def committed(session: Any) -> None:
        steps.append(("commit", (time.perf_counter() - commits.pop()) * 1000))

    event.listen(sync, "before_cursor_execute", before)
    event.listen(sync, "after_cursor_execute", after)
    event.listen(sync, "commit", commit)
    event.listen(Session, "after_commit", committed)
    watch = await asyncpg.connect(dsn(url))
    freeze_startup_objects()  # as `serve` does (bench-summary says why)
    rows = []
    try:
        for n in range(runs):
            state = await watch.fetchrow(STATE)
            steps.clear()
            started = time.perf_counter()
            async with UnitOfWork(factory) as uow:
                await exports.export_analyses(
                    uow=uow, actor=who.principal, scope=Scope("school"), period=period
                )
            total = (time.perf_counter() - started) * 1000
            done = await watch.fetchrow(STATE)
            wal = int(await watch.fetchval("SELECT $1::pg_lsn - $2::pg_lsn", done["lsn"],
                                           state["lsn"]))  # fmt: skip
            by: dict[str, float] = {}
            for kind, ms in steps:
                by[kind] = by.get(kind, 0.0) + ms
            # Outside any statement or the commit: Python (the service, SQLAlchemy, the CSV).
            rest = total - sum(by.values())
            rows.append((n, total, by, rest, wal, done["checkpoints"] - state["checkpoints"]))
    finally:
        await watch.close()
        await engine.dispose()
    totals = [r[1] for r in rows]
    print(f"{runs} exports: p50 {statistics.median(totals):.1f} ms, "
          f"p95 {percentile(totals, 95):.1f} ms")  # fmt: skip
    print(f"{'run':>4}{'total':>8}{'select':>8}{'insert':>8}{'commit':>8}{'act_as':>8}"
          f"{'python':>8}{'WAL kB':>9}{'ckpt':>5}")  # fmt: skip
    slow = sorted(rows, key=lambda r: -r[1])[: max(5, runs // 10)]
    for n, total, by, rest, wal, ckpt in sorted(rows, key=lambda r: r[0]):
        mark = " <" if any(n == s[0] for s in slow) else ""
        print(
            f"{n:>4}{total:>8.1f}{by.get('select', 0):>8.1f}{by.get('audit_logs', 0):>8.1f}"
            f"{by.get('commit', 0):>8.1f}{by.get('ge_act_as', 0):>8.1f}{rest:>8.1f}"
            f"{wal / 1024:>9.0f}{ckpt:>5}{mark}"
        )


def main() -> None:
    """Probe the bench school's export on the Year-3 database (or `--database`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ge_bench_year3")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with postgres_server() as server_url:
        asyncio.run(probe(with_database(server_url, args.database), args.runs))


if __name__ == "__main__":
    main()
