"""Monthly analysis quotas: school over district, reset on the 1st, and the teacher's sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import tn
from core.actor import Actor, Channel, actor_for
from core.errors import QuotaExceeded
from core.models import School, Student, User
from core.prompts import system_prompt
from core.services.analyses import start_analysis
from tests.dialogue_fixtures import Chat, seed_and_link
from tests.fakes.openai_server import FakeOpenAI
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
MARCH = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
TEACHER1_STUDENTS = ("S1001", "S1004", "S1005")  # Liam O'Brien, יעל מזרחי, David Cohen


async def _actor(factory: Factory, email: str) -> Actor:
    async with seeding(factory) as uow:
        user, school = (
            await uow.session.execute(
                select(User, School)
                .join(School, School.id == User.school_id)
                .where(User.email == email)
            )
        ).one()
        return actor_for(user, school, Channel("SHELL"))


@pytest.fixture
async def teacher1(session_factory: Factory) -> Actor:
    """The demo school's teacher1, as the services see her."""
    await seed_and_link(session_factory)
    return await _actor(session_factory, "teacher1@demo.school")


async def _set_quota(raw: asyncpg.Connection, table: str, monthly: int | None) -> None:
    settings = None if monthly is None else json.dumps({"analysisQuota": {"monthly": monthly}})
    where = "code = 'DEMO-01'" if table == "schools" else "code = 'DEMO-DIST'"
    await raw.execute(f"UPDATE {table} SET settings = $1::jsonb WHERE {where}", settings)


async def _start(
    factory: Factory, actor: Actor, student: str = "S1001", now: datetime | None = None
) -> Any:
    async with seeding(factory) as uow:
        student_id = await uow.session.scalar(
            select(Student.id).where(Student.student_id == student)
        )
    async with seeding(factory) as uow:
        return await start_analysis(
            uow=uow,
            actor=actor,
            student_id=student_id,
            system_prompt=system_prompt("en"),
            now=now,
        )


async def test_the_school_quota_refuses_the_third_analysis_of_the_month_until_the_1st(
    session_factory: Factory, teacher1: Actor, raw: asyncpg.Connection
) -> None:
    await _set_quota(raw, "schools", 2)
    await _start(session_factory, teacher1, "S1001", MARCH)
    await _start(session_factory, teacher1, "S1004", MARCH)

    with pytest.raises(QuotaExceeded) as refused:
        await _start(session_factory, teacher1, "S1005", MARCH.replace(day=31, hour=23))

    assert (refused.value.limit, refused.value.resets_on) == (2, "2026-04-01")
    assert await raw.fetchval("SELECT count(*) FROM analyses") == 2
    denied = await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE metadata->>'error' = 'quota_exceeded'"
    )
    assert denied == 1

    await _start(session_factory, teacher1, "S1005", APRIL)
    assert await raw.fetchval("SELECT count(*) FROM analyses") == 3


async def test_without_any_setting_there_is_no_limit(
    session_factory: Factory, teacher1: Actor, raw: asyncpg.Connection
) -> None:
    for _ in range(5):
        await _start(session_factory, teacher1, now=MARCH)
    assert await raw.fetchval("SELECT count(*) FROM analyses") == 5


@pytest.mark.parametrize(
    ("school", "district", "limit"),
    [
        pytest.param(None, 1, 1, id="district-applies-when-the-school-has-none"),
        pytest.param(3, 1, 3, id="school-raises-the-district-limit"),
        pytest.param(1, 3, 1, id="school-lowers-the-district-limit"),
    ],
)
async def test_the_school_setting_overrides_the_district_setting(
    session_factory: Factory,
    teacher1: Actor,
    raw: asyncpg.Connection,
    school: int | None,
    district: int,
    limit: int,
) -> None:
    await _set_quota(raw, "schools", school)
    await _set_quota(raw, "districts", district)
    for _ in range(limit):
        await _start(session_factory, teacher1, now=MARCH)

    with pytest.raises(QuotaExceeded) as refused:
        await _start(session_factory, teacher1, now=MARCH)

    assert (refused.value.limit, refused.value.resets_on) == (limit, "2026-04-01")


async def test_a_school_setting_without_a_quota_falls_back_to_the_district(
    session_factory: Factory, teacher1: Actor, raw: asyncpg.Connection
) -> None:
    await raw.execute('UPDATE schools SET settings = \'{"timezone": "Asia/Jerusalem"}\'')
    await _set_quota(raw, "districts", 1)
    await _start(session_factory, teacher1, now=MARCH)
    with pytest.raises(QuotaExceeded):
        await _start(session_factory, teacher1, now=MARCH)


async def test_december_resets_on_the_first_of_january(
    session_factory: Factory, teacher1: Actor, raw: asyncpg.Connection
) -> None:
    await _set_quota(raw, "schools", 1)
    december = datetime(2026, 12, 15, tzinfo=UTC)
    await _start(session_factory, teacher1, now=december)
    with pytest.raises(QuotaExceeded) as refused:
        await _start(session_factory, teacher1, now=december)
    assert refused.value.resets_on == "2027-01-01"


async def test_a_teacher_over_quota_is_told_the_limit_and_the_reset_date(
    chat: Chat, fake_ai: FakeOpenAI, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    await _set_quota(raw, "schools", 2)
    # Another teacher of the school used this month's quota (on his own students).
    colleague = await _actor(session_factory, "teacher2@demo.school")
    await _start(session_factory, colleague, "S1002")
    await _start(session_factory, colleague, "S1003")
    now = datetime.now(UTC)
    resets = f"{now.year + (now.month == 12)}-{now.month % 12 + 1:02d}-01"

    await chat.say("lang en")
    replies = await chat.say("analyze Liam")

    assert [r.text for r in replies] == [tn("en", "quota", 2, limit=2, resets_on=resets)]
    assert "2 analyses" in replies[0].text and resets in replies[0].text
    assert fake_ai.requests == []
    assert await raw.fetchval("SELECT count(*) FROM analyses") == 2
    # Nothing half-started: the next message is not offered a resume.
    assert "unfinished" not in (await chat.say("hello"))[0].text
