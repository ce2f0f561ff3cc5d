"""Student lists sort in Hebrew order, identically on Debian's and the embedded build."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import select, text

from adapters import schema
from core.db import make_engine, make_session_factory
from core.models import School, Student
from core.ordering import hebrew_order
from tests.conftest import asyncpg_dsn, with_database

# (last name, first name) in the order a Hebrew-speaking school office expects: niqqud ignored,
# final letters equal to regular ones, hyphen equal to space, Hebrew before Latin, Latin
# case-insensitive and without apostrophes or accents.
EXPECTED = [
    ("אַבְרָהָם", "יוסף"),
    ("אברהם", "משה"),
    ("אוחיון", "חנה"),
    ("בן-דוד", "אריאל"),
    ("בן דוד", "גל"),
    ("ברק", "איתן"),
    ("כהן", "בן-ציון"),
    ("כהן", "David"),
    ("כהנא", "אבי"),
    ("כץ", "Sarah"),
    ("לֵוִי", "מִרְיָם"),
    ("לוי", "Ethan"),
    ("מזרחי", "יעל"),
    ("סגל", "נתן"),
    ("פרץ", "נועם"),
    ("פרצוב", "דנה"),
    ("צור", "קרן"),
    ("שָׁלוֹם", "עזרא"),
    ("תמיר", "אור"),
    ("Brown", "olivia"),
    ("Cohen", "dana"),
    ("cohen", "David"),
    ("D'Angelo", "Mia"),
    ("Davis", "Ava"),
    ("García", "José"),
    ("Obama", "Barack"),
    ("O'Brien", "Liam"),
    ("Smith", "דוד"),
]


async def _sorted_through_app_query(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url, pool_size=1)
    try:
        factory = make_session_factory(engine)
        async with factory() as session:
            # As the operator's system path: the application role sees students only so.
            await session.execute(text("SELECT ge_act_as(NULL, 'SYSTEM', NULL)"))
            school = School(name="בית ספר", code="ORDER")
            session.add(school)
            await session.flush()
            shuffled = EXPECTED[:]
            random.Random(7).shuffle(shuffled)
            for last, first in shuffled:
                session.add(
                    Student(first_name=first, last_name=last, grade_level="5", school_id=school.id)
                )
            await session.commit()
            await session.execute(text("SELECT ge_act_as(NULL, 'SYSTEM', NULL)"))
            rows = await session.execute(
                select(Student.last_name, Student.first_name)
                .where(Student.school_id == school.id)
                .order_by(*hebrew_order(Student))
            )
            return [tuple(r) for r in rows]
    finally:
        await engine.dispose()


@pytest.fixture
async def embedded_database_url(embedded_pg_url: str) -> AsyncIterator[str]:
    """A migrated database on the embedded (non-ICU) build."""
    name = f"ge_order_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(with_database(embedded_pg_url, "postgres")))
    await admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    url = with_database(embedded_pg_url, name)
    try:
        await asyncio.to_thread(schema.upgrade, url)
        yield url
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


def _nfc(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    import unicodedata

    return [tuple(unicodedata.normalize("NFC", p) for p in pair) for pair in pairs]


async def test_students_sort_in_hebrew_order_on_the_configured_server(database_url: str) -> None:
    assert await _sorted_through_app_query(database_url) == _nfc(EXPECTED)


@pytest.mark.embedded
async def test_students_sort_in_hebrew_order_on_the_embedded_build(
    embedded_database_url: str,
) -> None:
    assert await _sorted_through_app_query(embedded_database_url) == _nfc(EXPECTED)
