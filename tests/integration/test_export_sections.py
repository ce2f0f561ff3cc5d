"""`analyses.export_sections` (0027) writes the sections as the export's expressions would."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.csv_sql import fixed, guarded, line, text_cell
from core.models import Analysis
from core.sections import LIST_SECTIONS, SECTIONS
from core.themes import edited, effective_confidence, effective_text, joined

# (results, teacher_edits): formulas, quotes, line breaks, Hebrew, nulls, malformed sections,
# confidences that are strings or missing, edits that replace and edits that are JSON null.
AWKWARD: list[tuple[Any, Any]] = [
    (None, None),
    ({}, {}),
    ({"strengths": ["Reads well", "=SUM(A1)"], "weaknesses": ['says "no"', "-3 in math"],
      "recommendations": ["+call", "@home", "\ttab", "\rcr"], "learningStyle": "=visual",
      "confidence": 0.755}, None),
    ({"strengths": ["קוראת, היטב", "line\nbreak"], "weaknesses": "not a list",
      "recommendations": [None, "x"], "learningStyle": None, "confidence": "high"},
     {"strengths": ["עריכה של המורה"], "confidence": 0.5}),
    ({"strengths": ["a"], "confidence": -0.125}, {"weaknesses": None, "learningStyle": "hands-on"}),
    ({"strengths": [], "weaknesses": [], "recommendations": [], "learningStyle": "",
      "confidence": 1}, {"recommendations": ["only the edit"]}),
]  # fmt: skip


def _reference() -> Any:
    """The six cells as the export's own expressions build them (before 0027 stored them)."""
    edited_sections = func.concat_ws(";", *[case((edited(s), literal(s))) for s in SECTIONS])
    return line(
        *[text_cell(joined(section)) for section in LIST_SECTIONS],
        text_cell(effective_text("learningStyle")),
        guarded(fixed(effective_confidence(), 2)),
        edited_sections,
    )


async def test_stored_sections_equal_the_export_expressions_on_awkward_input(
    raw: asyncpg.Connection, owner_session_factory: async_sessionmaker[AsyncSession]
) -> None:
    school = await raw.fetchval("INSERT INTO schools (name, code) VALUES ('S', 'S1') RETURNING id")
    teacher = await raw.fetchval(
        "INSERT INTO users (email, role, first_name, last_name, school_id) "
        "VALUES ('t@x.test', 'TEACHER', 'T', 'T', $1) RETURNING id",
        school,
    )
    student = await raw.fetchval(
        "INSERT INTO students (first_name, last_name, grade_level, school_id) "
        "VALUES ('A', 'B', '5', $1) RETURNING id",
        school,
    )
    for results, edits in AWKWARD:
        await raw.execute(
            "INSERT INTO analyses (student_id, teacher_id, results, teacher_edits) "
            "VALUES ($1, $2, $3::jsonb, $4::jsonb)",
            student, teacher,
            None if results is None else json.dumps(results),
            None if edits is None else json.dumps(edits),
        )  # fmt: skip
    async with owner_session_factory() as session:
        rows = (
            await session.execute(
                select(Analysis.export_sections, _reference()).order_by(Analysis.created_at)
            )
        ).all()
    assert len(rows) == len(AWKWARD)
    for stored, expected in rows:
        assert stored == expected
    # And a teacher's edit written later is in the stored cells at once.
    await raw.execute("""UPDATE analyses SET teacher_edits = '{"learningStyle": "=edited"}'""")
    assert await raw.fetchval(
        "SELECT bool_and(export_sections LIKE '%,\"''=edited\",%') FROM analyses"
    )
