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
import re
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
    partitioned table's partitions; `tables` is every table, largest first.

    Largest table first, so no long build is left to run alone at the end. VACUUM comes first,
    table by table (partition by partition): with no index yet it is one pass, and it sets the
    hint bits the index builds would otherwise set, dirtying and writing every page once more.
    A partitioned table is built partition by partition, each partition's keys and indexes
    together while its pages are still cached, then each on the parent, which attaches the
    partitions' equal indexes instead of building them (as CREATE INDEX and ADD PRIMARY KEY on
    a partitioned table do; the partitions' index names are the ones PostgreSQL gives when it
    builds them from the parent). A key of a plain table is built as a unique index (SHARE
    lock, beside the table's other builds) then made the key (USING INDEX: the same index and
    constraint as ADD CONSTRAINT makes). A foreign key is added NOT VALID and then validated
    once both its tables are built: validating lets other validations against the same parent
    run beside it. ANALYZE ends each table, after its foreign keys (it would wait for their
    lock) and its expression indexes (it gathers their statistics).
    """
    steps: list[Step] = []
    builds: dict[str, set[str]] = {}
    vacuumed: set[str] = set()

    def add(step: Step, table: str) -> None:
        steps.append(step)
        builds.setdefault(table, set()).add(step.label)

    own = [c for c in constraints if c["kind"] != "f"]
    for table in [t for t in tables if any(r["table_name"] == t for r in [*own, *indexes])]:
        vacuumed.add(table)
        keys = [c for c in own if c["table_name"] == table]
        plain = [i for i in indexes if i["table_name"] == table]
        if table in parts:
            parents: dict[str, set[str]] = {}
            for part in parts[table]:
                vacuum = Step(f"VACUUM {part}", f"VACUUM {part}", "vacuum", part, True)
                steps.append(vacuum)
                after = frozenset({vacuum.label})
                for c in keys:
                    label = f"{part}: {c['name']}"
                    add(Step(label, f"ALTER TABLE {part} ADD {c['definition']}",
                             "keys and indexes", part, True, after), table)  # fmt: skip
                    parents.setdefault(str(c["name"]), set()).add(label)
                for i in plain:
                    label = f"{part}: {i['name']}"
                    sql = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ ",
                                 rf"CREATE \1INDEX ON {part} ", str(i["definition"]))  # fmt: skip
                    add(Step(label, sql, "keys and indexes", part, False, after), table)
                    parents.setdefault(str(i["name"]), set()).add(label)
            for c in keys:
                add(Step(f"{table}.{c['name']}",
                         f"ALTER TABLE {table} ADD CONSTRAINT {c['name']} {c['definition']}",
                         "keys and indexes", table, True,
                         frozenset(parents[str(c["name"])])), table)  # fmt: skip
            for i in plain:
                sql = str(i["definition"]).replace(" ON ONLY ", " ON ", 1)
                add(Step(str(i["name"]), sql, "keys and indexes", table, True,
                         frozenset(parents[str(i["name"])])), table)  # fmt: skip
            continue
        vacuum = Step(f"VACUUM {table}", f"VACUUM {table}", "vacuum", table, True)
        steps.append(vacuum)
        after = frozenset({vacuum.label})
        for c in keys:
            kind = "PRIMARY KEY" if c["kind"] == "p" else "UNIQUE"
            index = f"{table}.{c['name']} (index)"
            add(Step(index, str(c["index_definition"]), "keys and indexes", table, False, after),
                table)  # fmt: skip
            add(Step(f"{table}.{c['name']}",
                     f"ALTER TABLE {table} ADD CONSTRAINT {c['name']} {kind} USING INDEX "
                     f"{c['name']}", "keys and indexes", table, True, frozenset({index})),
                table)  # fmt: skip
        for i in plain:
            add(Step(str(i["name"]), str(i["definition"]), "keys and indexes", table, False,
                     after), table)  # fmt: skip
    foreign: dict[str, set[str]] = {}
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
            foreign.setdefault(t, set()).add(label)
    for table in tables:
        wait = builds.get(table, set()) | foreign.get(table, set())
        # A table seeded with its indexes in place (the small ones) is vacuumed here.
        sql = f"ANALYZE {table}" if table in vacuumed else f"VACUUM ANALYZE {table}"
        steps.append(Step(sql, sql, "analyze", table, True, frozenset(wait)))
    return steps
