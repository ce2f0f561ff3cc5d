"""Migration 0008 recomputes every stored sort key, and its downgrade restores 0001's keys."""

from __future__ import annotations

import asyncio

import asyncpg

from adapters import schema
from tests.conftest import asyncpg_dsn

# The niqqud variants that migration 0001's key could not tell apart.
VARIANTS = [("דָּוִד", "אבי"), ("דוד", "אבי"), ("שָׁלוֹם", "רון"), ("שלום", "רון")]


async def _keys(conn: asyncpg.Connection, table: str) -> dict[str, str]:
    rows = await conn.fetch(f"SELECT last_name, sort_key FROM {table}")
    return {r["last_name"]: r["sort_key"] for r in rows}


async def _distinct(conn: asyncpg.Connection) -> dict[str, int]:
    return {
        t: await conn.fetchval(f"SELECT count(DISTINCT sort_key) FROM {t}")
        for t in ("students", "users")
    }


async def test_upgrade_recomputes_keys_and_downgrade_restores_the_old_ones(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(schema.upgrade, empty_database_url, "0005")
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        school = await conn.fetchval(
            "INSERT INTO schools (name, code) VALUES ('בית ספר', 'M8') RETURNING id"
        )
        for n, (last, first) in enumerate(VARIANTS):
            await conn.execute(
                "INSERT INTO students (first_name, last_name, grade_level, school_id) "
                "VALUES ($1, $2, '5', $3)",
                first, last, school,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO users (email, role, first_name, last_name, school_id) "
                "VALUES ($1, 'TEACHER', $2, $3, $4)",
                f"u{n}@x.test", first, last, school,
            )  # fmt: skip
        old = await _keys(conn, "students")
        assert await _distinct(conn) == {"students": 2, "users": 2}

        await asyncio.to_thread(schema.upgrade, empty_database_url, "0008")
        assert await _distinct(conn) == {"students": 4, "users": 4}
        for table in ("students", "users"):
            recomputed = await conn.fetchval(
                f"SELECT bool_and(sort_key = ge_sort_key(last_name, first_name)) FROM {table}"
            )
            assert recomputed is True
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_%_school_sort_key'"
            )
            == 2
        )

        await asyncio.to_thread(schema.downgrade, empty_database_url, "0005")
        assert await _keys(conn, "students") == old
        assert await _distinct(conn) == {"students": 2, "users": 2}
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_proc "
                "WHERE proname LIKE 'ge_name_%' OR proname = 'ge_one_edit'"
            )
            == 0
        )
    finally:
        await conn.close()


async def test_0026_stores_class_and_school_keys_for_existing_rows_and_renames(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(schema.upgrade, empty_database_url, "0025")
    conn = await asyncpg.connect(asyncpg_dsn(empty_database_url))
    try:
        school = await conn.fetchval(
            "INSERT INTO schools (name, code) VALUES ('בית ספר', 'M26') RETURNING id"
        )
        teacher = await conn.fetchval(
            "INSERT INTO users (email, role, first_name, last_name, school_id) "
            "VALUES ('t@x.test', 'TEACHER', 'אבי', 'כהן', $1) RETURNING id",
            school,
        )
        for name in ("ה׳2", "ה'1", "Art"):
            await conn.execute(
                "INSERT INTO classes (name, teacher_id, school_id) VALUES ($1, $2, $3)",
                name, teacher, school,
            )  # fmt: skip

        await asyncio.to_thread(schema.upgrade, empty_database_url, "0026")
        for table in ("classes", "schools"):
            stored = await conn.fetchval(
                f"SELECT bool_and(sort_key = ge_sort_key(name, '')) FROM {table}"
            )
            assert stored is True
        await conn.execute("UPDATE classes SET name = 'א1' WHERE name = 'Art'")
        ordered = await conn.fetch('SELECT name FROM classes ORDER BY sort_key COLLATE "C"')
        assert [r["name"] for r in ordered] == ["א1", "ה'1", "ה׳2"]

        await asyncio.to_thread(schema.downgrade, empty_database_url, "0025")
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name IN ('classes', 'schools') AND column_name = 'sort_key'"
            )
            == 0
        )
    finally:
        await conn.close()
