"""Student lists sort in one total order, ICU's Hebrew one, alike on Debian's and embedded builds.

The reference order is computed here by ICU itself (PyICU): CLDR's Hebrew collation with
alternate=shifted (spaces, hyphens, apostrophes and geresh ignorable), last and first name
merged level by level as ICU's `ucol_mergeSortkeys` does, then the exact spelling, then the
school's student id. Nothing here is a hand-typed expected order.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata
import uuid
from collections.abc import AsyncIterator

import asyncpg
import icu
import pytest
from sqlalchemy import select, text

from adapters import schema
from core.db import make_engine, make_session_factory
from core.models import School, Student, User, UserRole
from core.ordering import hebrew_order
from tests.conftest import asyncpg_dsn, with_database

# (last name, first name, school student id): niqqud-only variants, final letters, hyphens and
# maqaf, geresh, apostrophes, accents, case, mixed Hebrew/English, and two namesakes.
NAMES = [
    ("דוד", "אברהם", "S01"),
    ("דָּוִד", "אברהם", "S02"),
    ("דָוִד", "אברהם", "S03"),
    ("דויד", "אברהם", "S04"),
    ("שלום", "יעל", "S05"),
    ("שָׁלוֹם", "יעל", "S06"),
    ("שָׁלֹום", "יעל", "S07"),
    ("לוי", "מרים", "S08"),
    ("לוי", "מִרְיָם", "S09"),
    ("לֵוִי", "מרים", "S10"),
    ("כהן", "בן-ציון", "S11"),
    ("כהן", "בן ציון", "S12"),
    ("כהן", "בן־ציון", "S13"),
    ("כהן", "David", "S14"),
    ("כהן", "david", "S15"),
    ("כהנא", "אבי", "S16"),
    ("כץ", "Sarah", "S17"),
    ("כצמן", "רון", "S18"),
    ("פרץ", "נועם", "S19"),
    ("פרצוב", "דנה", "S20"),
    ("בן-דוד", "אריאל", "S21"),
    ("בן דוד", "גל", "S22"),
    ("בנאי", "עומר", "S23"),
    ("ג׳ורג׳", "מיכאל", "S24"),
    ("גורג", "מיכאל", "S25"),
    ("אוחיון", "חנה", "S26"),
    ("אַבְרָהָם", "יוסף", "S27"),
    ("אברהם", "יוסף", "S28"),
    ("Smith", "דוד", "S29"),
    ("Cohen", "dana", "S30"),
    ("cohen", "Dana", "S31"),
    ("O'Brien", "Liam", "S32"),
    ("Obama", "Barack", "S33"),
    ("García", "José", "S34"),
    ("Garcia", "Jose", "S35"),
    ("מזרחי", "יעל", "S36"),
    ("מזרחי", "יעל", "S37"),
]


def _collator() -> icu.Collator:
    collator = icu.Collator.createInstance(icu.Locale("he"))
    collator.setAttribute(icu.UCollAttribute.ALTERNATE_HANDLING, icu.UCollAttributeValue.SHIFTED)
    return collator


def icu_merged_key(collator: icu.Collator, last: str, first: str) -> bytes:
    """ICU's sort keys of both names merged level by level (ucol_mergeSortkeys' format)."""
    keys = [collator.getSortKey(part).rstrip(b"\x00").split(b"\x01") for part in (last, first)]
    return b"\x01".join(b"\x02".join(levels) for levels in zip(*keys, strict=True))


def reference_order(names: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The names in ICU order, then by exact spelling, then by student id."""
    collator = _collator()
    nfc = [tuple(unicodedata.normalize("NFC", p) for p in name) for name in names]
    return sorted(nfc, key=lambda n: (icu_merged_key(collator, n[0], n[1]), n[0], n[1], n[2]))


async def _sorted_through_app_query(url: str, seed: int) -> list[tuple[str, str, str]]:
    engine = make_engine(url, pool_size=1)
    try:
        factory = make_session_factory(engine)
        async with factory() as session:
            # As the operator's system path: the application role sees students only so.
            await session.execute(text("SELECT ge_act_as(NULL, 'SYSTEM', NULL)"))
            school = School(name="בית ספר", code="ORDER")
            session.add(school)
            await session.flush()
            shuffled = NAMES[:]
            random.Random(seed).shuffle(shuffled)
            for last, first, code in shuffled:
                session.add(
                    Student(
                        first_name=unicodedata.normalize("NFC", first),
                        last_name=unicodedata.normalize("NFC", last),
                        student_id=code,
                        grade_level="5",
                        school_id=school.id,
                    )
                )
            await session.commit()
            await session.execute(text("SELECT ge_act_as(NULL, 'SYSTEM', NULL)"))
            rows = await session.execute(
                select(Student.last_name, Student.first_name, Student.student_id)
                .where(Student.school_id == school.id)
                .order_by(*hebrew_order(Student))
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        await engine.dispose()


@pytest.fixture
async def embedded_database_url(embedded_pg_url: str) -> AsyncIterator[str]:
    """A fresh migrated database on the embedded (non-ICU) build."""
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


def test_the_fixed_list_is_long_and_tells_its_variants_apart_only_below_the_letters() -> None:
    assert len(NAMES) >= 30
    collator = _collator()
    collator.setStrength(icu.Collator.PRIMARY)
    # Niqqud-only variants are equal at ICU's first level: only the lower levels order them.
    assert collator.compare("דָּוִד", "דוד") == 0 and collator.compare("שָׁלוֹם", "שלום") == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_students_come_back_in_icu_order_on_the_configured_server(
    database_url: str, seed: int
) -> None:
    assert await _sorted_through_app_query(database_url, seed) == reference_order(NAMES)


@pytest.mark.embedded
@pytest.mark.parametrize("seed", [4, 5])
async def test_students_come_back_in_icu_order_on_the_embedded_build(
    embedded_database_url: str, seed: int
) -> None:
    assert await _sorted_through_app_query(embedded_database_url, seed) == reference_order(NAMES)


async def test_users_share_the_order(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_session_factory(engine)() as session:
            school = School(name="בית ספר", code="USERS")
            session.add(school)
            await session.flush()
            people = NAMES[:12]
            session.add_all(
                User(
                    email=f"{code}@x.test",
                    role=UserRole.TEACHER,
                    first_name=first,
                    last_name=last,
                    school_id=school.id,
                )
                for last, first, code in reversed(people)
            )
            await session.commit()
            rows = await session.execute(
                select(User.last_name, User.first_name, User.email).order_by(*hebrew_order(User))
            )
            got = [(r[0], r[1], r[2].split("@")[0]) for r in rows]
    finally:
        await engine.dispose()
    assert got == reference_order(people)


def _random_names(count: int, seed: int) -> list[tuple[str, str, str]]:
    """Names built from Hebrew letters (finals included), niqqud, Latin, hyphens and spaces."""
    rng = random.Random(seed)
    hebrew = "אבגדהוזחטיכךלמםנןסעפףצץקרשת"
    niqqud = ["\u05b0", "\u05b4", "\u05b7", "\u05b8", "\u05b9", "\u05bc", "\u05c1", "\u05c2"]
    latin = "abcdeOoLlIi"

    def word() -> str:
        letters = hebrew if rng.random() < 0.7 else latin
        out = ""
        for _ in range(rng.randint(1, 4)):
            out += rng.choice(letters)
            if letters is hebrew and rng.random() < 0.3:
                out += rng.choice(niqqud)
            if rng.random() < 0.1:
                out += rng.choice(["-", " ", "'"])
        return out

    return [(word(), word(), f"R{n:04d}") for n in range(count)]


async def test_random_names_sort_as_icu_sorts_them(raw: asyncpg.Connection) -> None:
    names = [
        tuple(unicodedata.normalize("NFC", p) for p in name) for name in _random_names(600, 11)
    ]
    rows = await raw.fetch(
        "SELECT l, f, c FROM unnest($1::text[], $2::text[], $3::text[]) AS t(l, f, c) "
        'ORDER BY ge_sort_key(l, f) COLLATE "C", c COLLATE "C"',
        [n[0] for n in names],
        [n[1] for n in names],
        [n[2] for n in names],
    )
    assert [(r["l"], r["f"], r["c"]) for r in rows] == reference_order(names)
