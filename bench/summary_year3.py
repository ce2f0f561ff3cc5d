"""The Year-3 database, loaded in chunks: bulk rows first, then keys, indexes and foreign keys.

A database migrated to head has its big tables' keys, indexes and foreign keys read from the
catalogue and dropped; the small tables (schools, users, classes, students, enrollments) are
seeded as at the other scales; analyses, with their conversation turns, audit rows and the
rollups their triggers keep, are then inserted a few schools per transaction by one statement
each (data-modifying CTEs, so turns and audit rows come from the analyses just inserted,
without reading them back), on one session per core; the dropped objects are recreated from
their own definitions, again on one session per core, and every table is vacuumed and
analysed. The result is proved equal to the migration's schema by comparing the catalogue
with a freshly migrated database and by Alembic's check, then marked as complete, so a later
run reuses it without counting 60 million rows.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from typing import Any

import asyncpg

from adapters import schema
from bench.databases import dsn, fresh_database, with_database
from bench.load_steps import Phases, Step, rebuild_steps, run_steps
from bench.summary_seed import (
    ANALYSES_COLUMNS,
    AUDIT_COLUMNS,
    POOLS,
    TURNS_COLUMNS,
    Scale,
    analyses_select,
    audit_select,
    seed_sql,
    turns_select,
)

YEAR3 = Scale("year3", 300, 3_000_000)
DATABASE = "ge_bench_year3"
TURNS = 10
AUDIT = 10
DAYS = 365
SCHOOLS_PER_BATCH = 5
STUDENTS_PER_STEP = 25
# One loading session per core; each sorts for its index builds in this much memory.
WORKERS = 3
MAINTENANCE_WORK_MEM = "1GB"
BIG_TABLES = (
    "analyses", "analysis_conversations", "audit_logs", "analysis_flags", "analysis_themes"
)  # fmt: skip
MARK = f"growth-engine bench {YEAR3.name}: {YEAR3.schools} schools, {YEAR3.analyses} analyses"

# Keys, unique constraints and foreign keys of (or pointing at) the big tables, parents only:
# a partitioned table's key or index is recreated on the parent, which builds every partition's.
CONSTRAINTS_SQL = """
SELECT c.conrelid::regclass::text AS table_name, c.conname AS name, c.contype::text AS kind,
       pg_get_constraintdef(c.oid) AS definition, pg_get_indexdef(c.conindid) AS index_definition
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE c.contype IN ('p', 'u', 'f') AND c.conparentid = 0 AND NOT t.relispartition
  AND (c.conrelid = ANY($1::regclass[]) OR c.confrelid = ANY($1::regclass[]))
"""
INDEXES_SQL = """
SELECT i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS table_name,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
WHERE i.indrelid = ANY($1::regclass[]) AND NOT x.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""
# Largest first (a partitioned table by its partitions' sizes).
TABLES_SQL = """
SELECT relname FROM pg_class c
WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
ORDER BY pg_relation_size(oid) + (SELECT coalesce(sum(pg_relation_size(i.inhrelid)), 0)
                                  FROM pg_inherits i WHERE i.inhparent = c.oid) DESC, relname
"""
PARTITIONS_SQL = """
SELECT inhparent::regclass::text AS parent, inhrelid::regclass::text AS name FROM pg_inherits
WHERE inhparent = ANY($1::regclass[]) ORDER BY pg_relation_size(inhrelid) DESC
"""
# What "the same schema" means: every non-partition relation's columns, indexes, constraints,
# triggers and row-level security policies, as the catalogue prints them.
FINGERPRINT_SQL = """
SELECT 'column ' || c.table_name || '.' || c.column_name || ' ' || c.data_type || ' '
       || c.is_nullable || ' ' || coalesce(c.column_default, '') || ' '
       || coalesce(c.generation_expression, '')
FROM information_schema.columns c JOIN pg_class t ON t.relname = c.table_name
WHERE c.table_schema = 'public' AND NOT t.relispartition
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes i JOIN pg_class x ON x.relname = i.indexname
WHERE i.schemaname = 'public' AND NOT x.relispartition
UNION ALL
SELECT 'constraint ' || c.conrelid::regclass || ' ' || c.conname || ' '
       || pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition
UNION ALL
SELECT 'invalid index ' || i.indexrelid::regclass FROM pg_index i WHERE NOT i.indisvalid
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(g.oid) || ' ' || g.tgenabled::text
FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
WHERE NOT g.tgisinternal AND t.relnamespace = 'public'::regnamespace AND NOT t.relispartition
UNION ALL
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || coalesce(qual, '') || ' '
       || coalesce(with_check, '')
FROM pg_policies WHERE schemaname = 'public'
UNION ALL
SELECT 'row security ' || relname || ' ' || relrowsecurity::text FROM pg_class
WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
ORDER BY 1
"""


# The rollups the triggers on analyses keep, written by the batch itself: the loading sessions
# run with session_replication_role = replica (no ordinary trigger fires), which saves the
# per-row trigger calls, about a quarter of the rows' time. Themes are 0012's own backfill
# query over the batch's analyses; a flag is what 0009's trigger writes for an inserted,
# flagged, live analysis: its student and its updated_at. (0015's roster epoch, also bumped by
# a trigger on analyses, only tells connections to drop the teacher sets they cached: no
# connection has any during a load, and the enrollments' statements bump it anyway.)
# The rows carry their school and date as 0017's and 0024's triggers would write them.
THEMES = importlib.import_module("migrations.versions.0024_theme_items_dated")
SCHOOL_KEYS = THEMES.SCHOOL_KEYS
ROLLUPS_TRIGGERS = ("analyses_themes_sync", "analyses_flags_sync")


def _batch_sql(first: int, last: int) -> str:
    """Analyses of schools first..last with their turns, audit rows, flags and themes."""
    themes = SCHOOL_KEYS.THEME_ITEMS.format(
        a="a", source="a CROSS JOIN ", school=", a.school_id, a.created_at"
    )
    return f"""
    WITH sc AS (
      SELECT id, substr(code, 4)::int AS s FROM schools
      WHERE code LIKE 'BS-%' AND substr(code, 4)::int BETWEEN {first} AND {last}
    ), pools AS ({POOLS}),
    a AS (
      INSERT INTO analyses ({ANALYSES_COLUMNS})
      {analyses_select(YEAR3.analyses // YEAR3.schools, days=DAYS, hours_back=1)}
      RETURNING id, student_id, school_id, teacher_id, created_at, updated_at, deleted_at,
                flagged_for_review, results, teacher_edits
    ), turns AS (
      INSERT INTO analysis_conversations ({TURNS_COLUMNS}) {turns_select("a", TURNS)}
    ), flags AS (
      INSERT INTO analysis_flags (analysis_id, student_id, flagged_at, school_id)
      SELECT id, student_id, updated_at, school_id FROM a
      WHERE flagged_for_review AND deleted_at IS NULL
    ), themes AS (
      INSERT INTO analysis_themes ({THEMES.THEME_COLUMNS}) {themes}
    )
    INSERT INTO audit_logs ({AUDIT_COLUMNS}) {audit_select("a", AUDIT)}
    """


async def _connect(url: str) -> asyncpg.Connection:
    """A loading session: no commit flush, no parallel workers of its own.

    The loader runs WORKERS sessions side by side, so each builds its indexes without parallel
    workers; synchronous_commit off loses nothing a failed load would keep (it is redone from
    scratch); work_mem holds a batch's returned analyses without spilling them to disk. The
    sessions run at normal priority: reniced to 10, as they once were, they got about a tenth
    of a core each on a machine under load 7, and one audit index took 7 minutes.
    """
    conn = await asyncpg.connect(dsn(url))
    await conn.execute(
        f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'; SET synchronous_commit = off; "
        "SET max_parallel_maintenance_workers = 0; SET work_mem = '256MB'"
    )
    return conn


async def _step(conn: asyncpg.Connection, label: str, sql: str, *args: Any) -> str:
    started = time.perf_counter()
    status = await conn.execute(sql, *args)
    print(f"  {label:<52} {status.split()[-1]:>8}  {time.perf_counter() - started:7.1f} s")
    return status


def _row_steps(schools: int) -> list[Step]:
    """Students and enrollments by range of schools, side by side (their generated columns
    and trigram index cost a minute on one session); each batch of analyses once its schools'
    students are in, without triggers (its statement writes the rollups itself)."""
    small = Scale(YEAR3.name, schools, 0)
    steps: list[Step] = []
    for first in range(1, schools + 1, STUDENTS_PER_STEP):
        last = min(schools, first + STUDENTS_PER_STEP - 1)
        seeded = dict(seed_sql(small, (first, last)))
        students = Step(f"students, schools {first}-{last}", seeded["students"], "students")
        steps.append(students)
        after = frozenset({students.label})
        steps.append(Step(f"class_enrollments, schools {first}-{last}",
                          seeded["class_enrollments"], "students", after=after))  # fmt: skip
        for low in range(first, last + 1, SCHOOLS_PER_BATCH):
            high = min(last, low + SCHOOLS_PER_BATCH - 1)
            batch = ("SET session_replication_role = replica", _batch_sql(low, high),
                     "SET session_replication_role = origin")  # fmt: skip
            steps.append(Step(f"analyses+turns+audit+rollups, schools {low}-{high}", batch,
                              "rows", after=after))  # fmt: skip
    return steps


async def _fingerprint(url: str) -> list[str]:
    conn = await asyncpg.connect(dsn(url))
    try:
        return [row[0] for row in await conn.fetch(FINGERPRINT_SQL)]
    finally:
        await conn.close()


async def prove_schema(server_url: str, url: str, database: str = DATABASE) -> None:
    """Raise unless `url`'s schema equals a freshly migrated database's and Alembic sees none."""
    reference = await fresh_database(server_url, f"{database}_schema")
    ours, theirs = await _fingerprint(url), await _fingerprint(reference)
    missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
    if missing or extra:
        raise RuntimeError(f"schema differs from the migration's: missing {missing}, extra {extra}")
    await asyncio.to_thread(schema.check, url)
    print(f"  schema equals a freshly migrated database ({len(ours)} objects); no drift")


async def vacuum(url: str) -> None:
    """VACUUM (ANALYZE) the big tables, one at a time (a migration may have rewritten them)."""
    conn = await _connect(url)
    try:
        for table in BIG_TABLES:
            await _step(conn, f"VACUUM (ANALYZE) {table}", f"VACUUM (ANALYZE) {table}")
    finally:
        await conn.close()


async def is_complete(server_url: str, database: str = DATABASE) -> bool:
    """Whether the Year-3 database (or a copy) exists and a previous load finished (its mark)."""
    conn = await asyncpg.connect(dsn(with_database(server_url, "postgres")))
    try:
        mark = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            database,
        )
        return bool(mark == MARK)
    finally:
        await conn.close()


async def load(server_url: str, schools: int = YEAR3.schools) -> str:
    """Create, load and prove the Year-3 database (or its first `schools`); its URL."""
    started = time.perf_counter()
    # A smaller load (trying the loader) leaves the full database alone.
    database = DATABASE if schools == YEAR3.schools else f"{DATABASE}_{schools}_schools"
    url = await fresh_database(server_url, database)
    conn = await _connect(url)
    try:
        big = list(BIG_TABLES)
        constraints = await conn.fetch(CONSTRAINTS_SQL, big)
        indexes = await conn.fetch(INDEXES_SQL, big)
        async with conn.transaction():
            for c in sorted(constraints, key=lambda c: c["kind"] != "f"):
                await conn.execute(f"ALTER TABLE {c['table_name']} DROP CONSTRAINT {c['name']}")
            for i in indexes:
                await conn.execute(f"DROP INDEX {i['name']}")
        print(f"  dropped {len(constraints)} keys and {len(indexes)} indexes of {', '.join(big)}")
        small = Scale(YEAR3.name, schools, 0)
        async with conn.transaction():
            for name, sql in seed_sql(small)[:4]:
                await _step(conn, name, sql)
        await _step(
            conn, "audit partitions",
            f"SELECT public.ge_audit_partition(m::date) FROM generate_series(date_trunc("
            f"'month', now() - interval '{DAYS + 1} days'), now(), interval '1 month') m",
        )  # fmt: skip
    finally:
        await conn.close()
    phases = Phases()
    await run_steps(lambda: _connect(url), _row_steps(schools), WORKERS, phases)
    conn = await _connect(url)
    try:
        tables = [r[0] for r in await conn.fetch(TABLES_SQL)]
        parts: dict[str, list[str]] = {}
        for r in await conn.fetch(PARTITIONS_SQL, big):
            parts.setdefault(r["parent"], []).append(r["name"])
    finally:
        await conn.close()
    await run_steps(
        lambda: _connect(url), rebuild_steps(constraints, indexes, parts, tables), WORKERS, phases
    )
    phases.report(started)
    await prove_schema(server_url, url)
    if schools == YEAR3.schools:
        admin = await asyncpg.connect(dsn(with_database(server_url, "postgres")))
        try:
            await admin.execute(f"COMMENT ON DATABASE {DATABASE} IS '{MARK}'")
        finally:
            await admin.close()
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    return url


def main() -> None:
    """Load the Year-3 database on DATABASE_URL's server (`--schools N` for a smaller one)."""
    import argparse

    from bench.servers import postgres_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=YEAR3.schools)
    schools = parser.parse_args().schools
    with postgres_server() as server_url:
        asyncio.run(load(server_url, schools))


if __name__ == "__main__":
    main()
