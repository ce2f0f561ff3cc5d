"""Theme keys (0012): kept with every write of an analysis, seen with its student, rebuilt."""

from __future__ import annotations

import asyncio
import json

import asyncpg

from adapters import schema
from tests.conftest import asyncpg_dsn

KEYS = (
    "SELECT section, position, key, phrase FROM analysis_themes WHERE analysis_id = $1 "
    "ORDER BY section, position"
)
# What a summary folded on every call before 0012: the effective lists, keyed on the fly.
RECOMPUTED = """
SELECT a.id, s.section, e.position::int, a.student_id, public.ge_fold(regexp_replace(e.phrase,
       '[!#-&(-/:-@\\[-_{-~\u00a1-\u00bf\u2010-\u2017\u201a-\u2027\u2030-\u205e\u05be\u05c0\u05c3\u05c6]',
       ' ', 'g')), e.phrase
FROM analyses a CROSS JOIN (VALUES ('strengths'), ('weaknesses')) AS s (section)
CROSS JOIN LATERAL jsonb_array_elements_text(CASE
  WHEN jsonb_typeof(coalesce(a.teacher_edits -> s.section, a.results -> s.section)) = 'array'
  THEN coalesce(a.teacher_edits -> s.section, a.results -> s.section) ELSE '[]' END)
  WITH ORDINALITY AS e (phrase, position)
"""  # fmt: skip
ROLLUP = "SELECT analysis_id, section, position, student_id, key, phrase FROM analysis_themes"


async def _analysis(raw: asyncpg.Connection, results: dict[str, object]) -> object:
    student, teacher = await raw.fetchrow(
        "SELECT s.id, u.id FROM students s, users u WHERE u.role = 'TEACHER' LIMIT 1"
    )
    return await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id, status, results) "
        "VALUES ($1, $2, 'COMPLETED', $3::jsonb) RETURNING id",
        student, teacher, json.dumps(results),
    )  # fmt: skip


async def _world(raw: asyncpg.Connection) -> None:
    district = await raw.fetchval(
        "INSERT INTO districts (name, code) VALUES ('D', 'D') RETURNING id"
    )
    school = await raw.fetchval(
        "INSERT INTO schools (name, code, district_id) VALUES ('S', 'S', $1) RETURNING id", district
    )
    await raw.execute(
        "INSERT INTO users (email, role, first_name, last_name, school_id) "
        "VALUES ('t@x.test', 'TEACHER', 'T', 'T', $1)", school,
    )  # fmt: skip
    await raw.execute(
        "INSERT INTO students (school_id, student_id, first_name, last_name, grade_level) "
        "VALUES ($1, 'S1', 'A', 'B', '5')", school,
    )  # fmt: skip


async def test_every_write_of_an_analysis_rewrites_its_theme_keys(raw: asyncpg.Connection) -> None:
    await _world(raw)
    analysis = await _analysis(
        raw, {"strengths": ["Strong  Math skills!", "קְרִיאָה שוטפת"], "weaknesses": "not a list"}
    )
    assert [tuple(r) for r in await raw.fetch(KEYS, analysis)] == [
        ("strengths", 1, "strong math skills", "Strong  Math skills!"),
        ("strengths", 2, "קריאה שוטפת", "קְרִיאָה שוטפת"),
    ]
    # The teacher's edit of a section replaces the AI's, an emptied one included.
    await raw.execute(
        "UPDATE analyses SET teacher_edits = '{\"strengths\": [], \"weaknesses\": [\"Shy.\"]}' "
        "WHERE id = $1", analysis,
    )  # fmt: skip
    assert [tuple(r) for r in await raw.fetch(KEYS, analysis)] == [
        ("weaknesses", 1, "shy", "Shy."),
    ]
    await raw.execute("UPDATE analyses SET teacher_edits = NULL WHERE id = $1", analysis)
    assert len(await raw.fetch(KEYS, analysis)) == 2
    assert sorted(map(tuple, await raw.fetch(ROLLUP))) == sorted(
        map(tuple, await raw.fetch(RECOMPUTED))
    )


async def test_the_downgrade_drops_the_keys_and_the_upgrade_rebuilds_them(
    owner_database_url: str, raw: asyncpg.Connection
) -> None:
    await _world(raw)
    for n in range(3):
        await _analysis(raw, {"strengths": [f"Kind {n}."], "weaknesses": ["None", "  "]})
    before = sorted(map(tuple, await raw.fetch(ROLLUP)))
    assert len(before) == 9
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0011")
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    try:
        assert await conn.fetchval("SELECT to_regclass('analysis_themes')") is None
        assert await conn.fetchval("SELECT to_regprocedure('ge_theme_key(text)')") is None
        # Written while 0012 is away: the upgrade's backfill keys it too.
        await _analysis(conn, {"strengths": ["Curious!"]})
    finally:
        await conn.close()
    await asyncio.to_thread(schema.upgrade, owner_database_url)
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    try:
        after = sorted(map(tuple, await conn.fetch(ROLLUP)))
        assert len(after) == 10 and set(before) < set(after)
        assert after == sorted(map(tuple, await conn.fetch(RECOMPUTED)))
    finally:
        await conn.close()


DATED = (
    "SELECT count(*) FILTER (WHERE t.created_at = a.created_at), count(*) "
    "FROM analysis_themes t JOIN analyses a ON a.id = t.analysis_id"
)


async def test_each_item_carries_its_analyses_date_written_and_backfilled(
    owner_database_url: str, raw: asyncpg.Connection
) -> None:
    # A summary reads a school's items of a period by this date (0024): an item without it,
    # or with another, would drop out of the period's themes.
    await _world(raw)
    analysis = await _analysis(raw, {"strengths": ["Kind.", "Curious."]})
    await raw.execute(
        "UPDATE analyses SET created_at = created_at - interval '40 days' WHERE id = $1", analysis
    )
    await raw.execute(
        "UPDATE analyses SET teacher_edits = '{\"strengths\": [\"Brave.\"]}' WHERE id = $1",
        analysis,
    )
    assert tuple(await raw.fetchrow(DATED)) == (1, 1)
    await asyncio.to_thread(schema.downgrade, owner_database_url, "0023")
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    try:
        # Written while 0024 is away: the upgrade's backfill dates it too.
        await _analysis(conn, {"strengths": ["Patient."], "weaknesses": ["Late."]})
    finally:
        await conn.close()
    await asyncio.to_thread(schema.upgrade, owner_database_url)
    conn = await asyncpg.connect(asyncpg_dsn(owner_database_url))
    try:
        assert tuple(await conn.fetchrow(DATED)) == (3, 3)
    finally:
        await conn.close()
