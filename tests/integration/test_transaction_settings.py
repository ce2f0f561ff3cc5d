"""Settings a service's transactions need ride with the actor check, not in statements of their own.

A class's, a teacher's or a student's summary plans generic; a school's plans per school; an
export writes times in the school's zone. Each used to cost the call a `set_config` round trip
after the actor check; now the check sets them, and a setting is sent on its own only when the
transaction does not have it already.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import system_actor
from core.planning import BY_KEYS, CUSTOM, GENERIC, PLAN_MODE
from core.scope_words import parse_request
from core.services.exports import export_analyses
from core.services.summaries import summarize
from core.uow import UnitOfWork
from tests.integration.test_summaries import NOW, seed
from tests.service_fixtures import seeding


def _settings_sent(statements: list[str]) -> list[str]:
    # Not asyncpg's own `set_config('jit', ...)` around its first type introspection.
    return [s for s in statements if s.lstrip().startswith("SELECT set_config(")]


async def _driver_statements(uow: UnitOfWork) -> list[str]:
    """The statements the unit's connection runs on the driver from now on (asyncpg's log)."""
    connection = await uow.session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    seen: list[str] = []
    driver.add_query_logger(lambda record: seen.append(record.query))
    return seen


async def _logged() -> None:
    """Let asyncpg deliver its query log, which it schedules on the loop."""
    await asyncio.sleep(0)


async def test_summaries_and_an_export_send_no_setting_of_their_own(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    world = await seed(session_factory)
    principal = world.actors["principal_a"]
    for words in ("class ו'1 this-term", "teacher T2@A.test this-term", "school this-term"):
        scope, period = parse_request(words, now=NOW)
        async with seeding(session_factory) as uow:
            seen = await _driver_statements(uow)
            summary = await summarize(uow=uow, actor=principal, scope=scope, period=period)
        assert summary.total > 0, words
        assert seen, words  # the summary's statement ran on the driver, where it is logged
        assert not _settings_sent(seen), words
    scope, period = parse_request("school this-term", now=NOW)
    async with seeding(session_factory) as uow:
        seen = await _driver_statements(uow)
        exported = await export_analyses(uow=uow, actor=principal, scope=scope, period=period)
    # The school's zone was in force: times carry Israel's offset (+02:00 in the term).
    assert exported.rows > 0 and b"+02:00" in exported.content
    assert not _settings_sent(seen)


async def _mode(uow: UnitOfWork) -> str:
    return str(await uow.session.scalar(text("SELECT current_setting('plan_cache_mode')")))


async def test_a_setting_is_sent_only_when_the_transaction_lacks_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        await uow.act_as(system_actor(), settings=BY_KEYS)
        seen = await _driver_statements(uow)
        assert await _mode(uow) == GENERIC
        await uow.set_local(PLAN_MODE, GENERIC)
        await _logged()
        assert _settings_sent(seen) == []
        await uow.set_local(PLAN_MODE, CUSTOM)
        await _logged()
        assert len(_settings_sent(seen)) == 1 and await _mode(uow) == CUSTOM
        # Changed in this transaction: the act-as value no longer holds, so it is sent again.
        await uow.set_local(PLAN_MODE, GENERIC)
        await _logged()
        assert len(_settings_sent(seen)) == 2 and await _mode(uow) == GENERIC
        await uow.commit()
        # Every new transaction of the unit begins with the act-as settings again.
        assert await _mode(uow) == GENERIC
