"""Steps of a bulk load run on several sessions, each step as soon as what it needs is done.

A step names the table it locks and the steps it waits for. A session takes the first step
whose prerequisites are done and whose table is free enough: steps that only share a table
(CREATE INDEX takes SHARE, which SHARE does not block) run side by side, an exclusive one
(ALTER TABLE ... ADD CONSTRAINT, VACUUM, ANALYZE, which would wait for or block the others)
runs alone on its table. A session so never sits waiting on a lock another of ours holds, and
a late, slow step (the conversations' foreign key check) overlaps the builds of other tables
instead of starting after all of them. Every step's time is printed, then each phase's span.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]


@dataclass(frozen=True)
class Step:
    """One statement of a load, or a few run one after another (each its own transaction)."""

    label: str
    sql: str | tuple[str, ...]
    phase: str
    table: str = ""
    exclusive: bool = False
    after: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Phases:
    """When each phase's first step started and its last one ended (perf_counter seconds)."""

    spans: dict[str, list[float]] = field(default_factory=dict)

    def record(self, phase: str, started: float, ended: float) -> None:
        """Widen `phase`'s span to cover one step."""
        span = self.spans.setdefault(phase, [started, ended])
        span[0], span[1] = min(span[0], started), max(span[1], ended)

    def report(self, origin: float) -> None:
        """Each phase: from when to when (seconds since `origin`), and for how long."""
        for phase, (first, last) in sorted(self.spans.items(), key=lambda p: p[1][0]):
            print(
                f"  phase {phase:<28} {first - origin:7.1f} s .. {last - origin:7.1f} s"
                f"  ({last - first:6.1f} s)"
            )


async def run_steps(connect: Connect, steps: Sequence[Step], workers: int, phases: Phases) -> None:
    """Run `steps` on `workers` sessions from `connect`; raise the first failure."""
    pending = list(steps)
    labels = {s.label for s in steps}
    unknown = [(s.label, sorted(s.after - labels)) for s in steps if not s.after <= labels]
    if unknown:
        raise ValueError(f"steps waiting for steps that are not there: {unknown}")
    done: set[str] = set()
    running: dict[str, Step] = {}
    changed = asyncio.Condition()
    failed: list[BaseException] = []

    def ready(step: Step) -> bool:
        if not step.after <= done:
            return False
        return not any(
            r.table == step.table and (r.exclusive or step.exclusive)
            for r in running.values()
            if step.table
        )

    async def next_step() -> Step | None:
        async with changed:
            while not failed and pending:
                step = next((s for s in pending if ready(s)), None)
                if step is not None:
                    pending.remove(step)
                    running[step.label] = step
                    return step
                if not running:
                    raise RuntimeError(f"no step can start: {[s.label for s in pending]}")
                await changed.wait()
            return None

    async def worker() -> None:
        conn = await connect()
        try:
            while (step := await next_step()) is not None:
                started = time.perf_counter()
                try:
                    for sql in (step.sql,) if isinstance(step.sql, str) else step.sql:
                        status = await conn.execute(sql)
                except BaseException as error:
                    failed.append(error)
                    raise
                finally:
                    async with changed:
                        del running[step.label]
                        done.add(step.label)
                        changed.notify_all()
                ended = time.perf_counter()
                phases.record(step.phase, started, ended)
                print(f"  {step.label:<52} {status.split()[-1]:>8}  {ended - started:7.1f} s")
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(workers)))


def rebuild_steps(
    constraints: Sequence[asyncpg.Record],
    indexes: Sequence[asyncpg.Record],
    parts: dict[str, list[str]],
    tables: Sequence[str],
) -> list[Step]:
    """Vacuum, keys and indexes, foreign keys, then statistics of freshly loaded tables.

    `constraints` (table_name, name, kind, definition, index_definition) and `indexes`
    (table_name, name, definition) were dropped before the load; `parts` holds each
    partitioned table's partitions; `tables` is every table to analyse.

    VACUUM comes first, table by table (a partitioned table partition by partition): with no
    index yet it is one pass, and it sets the hint bits the index builds would otherwise set,
    dirtying and writing every page once more. A key of a plain table is built as a unique
    index (SHARE lock, beside the table's other builds) and then made the key from it (USING
    INDEX: the same index and constraint as ADD CONSTRAINT makes); a partitioned table's key
    cannot be, so it is added alone. A foreign key is added NOT VALID and validated in the same
    step, once both its tables' builds are done: validating takes a lock that lets other
    validations against the same parent run. ANALYZE ends each table, after its foreign keys
    (it would wait for their lock) and its expression indexes (it gathers their statistics).
    """
    steps: list[Step] = []
    vacuums: dict[str, set[str]] = {}
    for table in {str(c["table_name"]) for c in constraints if c["kind"] != "f"} | {
        str(i["table_name"]) for i in indexes
    }:
        for part in parts.get(table, [table]):
            steps.append(Step(f"VACUUM {part}", f"VACUUM {part}", "vacuum", part, True))
            vacuums.setdefault(table, set()).add(f"VACUUM {part}")
    builds: dict[str, set[str]] = {}

    def build(
        table: str, label: str, sql: str, *, exclusive: bool = False, after: str = ""
    ) -> None:
        wait = frozenset(vacuums.get(table, set()) | ({after} if after else set()))
        steps.append(Step(label, sql, "keys and indexes", table, exclusive, wait))
        builds.setdefault(table, set()).add(label)

    for c in constraints:
        table, name = str(c["table_name"]), str(c["name"])
        if c["kind"] == "f":
            continue
        if table in parts:
            build(
                table,
                f"{table}.{name}",
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {c['definition']}",
                exclusive=True,
            )
            continue
        kind = "PRIMARY KEY" if c["kind"] == "p" else "UNIQUE"
        build(table, f"{table}.{name} (index)", str(c["index_definition"]))
        build(table, f"{table}.{name}",
              f"ALTER TABLE {table} ADD CONSTRAINT {name} {kind} USING INDEX {name}",
              exclusive=True, after=f"{table}.{name} (index)")  # fmt: skip
    for i in indexes:
        # A partitioned table's definition prints as ON ONLY, which would build no partition's.
        build(
            str(i["table_name"]),
            str(i["name"]),
            str(i["definition"]).replace(" ON ONLY ", " ON ", 1),
        )
    keys: dict[str, set[str]] = {}
    for c in constraints:
        if c["kind"] != "f":
            continue
        table, name = str(c["table_name"]), str(c["name"])
        parent = str(c["definition"]).split(" REFERENCES ")[1].split("(")[0]
        label = f"{table}.{name}"
        steps.append(Step(
            label,
            (f"ALTER TABLE {table} ADD CONSTRAINT {name} {c['definition']} NOT VALID",
             f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"),
            "foreign keys", table, False,
            frozenset(builds.get(table, set()) | builds.get(parent, set())),
        ))  # fmt: skip
        for t in (table, parent):
            keys.setdefault(t, set()).add(label)
    for table in tables:
        wait = builds.get(table, set()) | keys.get(table, set())
        # A table loaded before its indexes existed (the small ones) is vacuumed here too.
        sql = f"ANALYZE {table}" if table in vacuums else f"VACUUM ANALYZE {table}"
        steps.append(Step(sql, sql, "analyze", table, True, frozenset(wait)))
    return steps
