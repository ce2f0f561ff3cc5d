"""What principals and admins are told: real themes only, period errors, empty scopes, retention.

Runs on the scenario of test_summaries (school A, term 2026-09-01..2027-01-31), through the
services and the chat's summary and admin commands.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.charts import MatplotlibCharts
from bot import summary_commands
from bot.admin_commands import RETENTION_CONFIRMED, Call, execute
from bot.commands import from_action
from bot.context import Context
from bot.engine import DialogueEngine
from bot.events import Incoming
from core.actor import Actor, Channel, system_actor
from core.audit import record
from core.errors import UnknownPeriod
from core.identity import ChatUser
from core.models import Analysis, AnalysisStatus, AuditAction, ChatPlatform
from core.scope_words import parse_request
from core.themes import NOTHING_DESCRIBED
from core.uow import UnitOfWork
from tests.integration.test_summaries import NOW, at, run, seed
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]


def _engine(factory: Factory) -> DialogueEngine:
    # The summary and admin commands use only the units of work and the chart port.
    return DialogueEngine(session_factory=factory, ai=None, locks=None, seen=None,  # type: ignore[arg-type]
                          charts=MatplotlibCharts())  # fmt: skip


def _ctx(actor: Actor, language: str = "en") -> Context:
    event = Incoming(ChatPlatform.TELEGRAM, "bot", "42", "42", received_at=NOW)
    return Context(event, ChatUser(actor, language, "רחל מנהלת"))


async def _add_placeholder_analyses(factory: Factory, world: Any) -> None:
    """Three completed analyses in the term that had nothing to say about strengths."""
    teacher = world.actors["t1"].user_id
    nothing = [
        (NOTHING_DESCRIBED["en"]["strengths"], NOTHING_DESCRIBED["en"]["weaknesses"]),
        (NOTHING_DESCRIBED["he"]["strengths"], NOTHING_DESCRIBED["he"]["weaknesses"]),
        ("None.", "N/A"),
    ]
    async with seeding(factory) as uow:
        for day, (strength, weakness) in enumerate(nothing, start=10):
            uow.session.add(Analysis(
                student_id=world.students["s3"], teacher_id=teacher,
                status=AnalysisStatus.COMPLETED, created_at=at(10, day), updated_at=at(10, day),
                results={"strengths": [strength], "weaknesses": [weakness],
                         "recommendations": [], "learningStyle": "", "confidence": 0.2},
            ))  # fmt: skip
        record(uow, system_actor(), AuditAction.CREATE, "TestScenario", placeholders=True)
        await uow.commit()


async def test_placeholders_are_never_counted_as_themes(session_factory: Factory) -> None:
    world = await seed(session_factory)
    await _add_placeholder_analyses(session_factory, world)
    summary = await run(session_factory, world.actors["principal_a"], "school this-term")
    assert summary.count(AnalysisStatus.COMPLETED) == 8  # they are counted as analyses...
    # ...but not as themes: the known ones, with the counts of the scenario.
    assert [(t.phrase, t.count) for t in summary.strengths] == [
        ("Strong math skills", 4),
        ("קריאה שוטפת", 3),
        ("Kind to peers", 1),
    ]
    assert [(t.phrase, t.count) for t in summary.weaknesses] == [
        ("Struggles with reading comprehension", 3),
        ("קשיי ריכוז", 2),
    ]
    [reply] = await summary_commands.handle(
        _engine(session_factory), _ctx(world.actors["principal_a"]), "summary", "school this-term"
    )
    assert "described yet" not in reply.text and "None" not in reply.text
    # Nor as a student's strengths or difficulties in the trend; the reader still sees them.
    student = await run(session_factory, world.actors["principal_a"], "student יונתן אפשטיין")
    assert [(p.strengths, p.weaknesses) for p in student.trend] == [(0, 0)] * 3
    assert student.latest is not None and student.latest.strengths == ("None.",)


@pytest.mark.parametrize("word", ["next-week", "lastmonth", "yesterday", "2026-10", "1/9/2026"])
def test_a_word_written_as_a_period_is_a_period_error_not_a_school(word: str) -> None:
    with pytest.raises(UnknownPeriod) as caught:
        parse_request(f"school {word}", now=NOW)
    assert caught.value.value == word and caught.value.field == "period"
    with pytest.raises(UnknownPeriod):
        parse_request(word, now=NOW)
    assert parse_request("class ה'1 this-term", now=NOW)[0].value == "ה'1"  # names stay names


async def test_summary_with_an_unknown_period_says_it_is_not_a_period(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    principal = world.actors["principal_a"]
    engine = _engine(session_factory)
    for argument in ("school next-week", "next-week"):
        [reply] = await summary_commands.handle(engine, _ctx(principal), "summary", argument)
        expected = "“next-week” is not a period: write this-week, this-month"
        assert reply.text.startswith(expected), reply.text
        assert "your own school" not in reply.text
    # Not an attempt to read another school: nothing refused, nothing audited as denied.
    denied = "SELECT count(*) FROM audit_logs WHERE (metadata->>'denied')::boolean"
    assert await raw.fetchval(denied) == 0
    [hebrew] = await summary_commands.handle(
        engine, _ctx(principal, "he"), "summary", "school next-week"
    )
    assert hebrew.text.startswith("„next-week” אינה תקופה")


async def test_a_scope_with_nobody_in_it_says_so_and_draws_no_chart(
    session_factory: Factory,
) -> None:
    world = await seed(session_factory)
    engine = _engine(session_factory)
    for who in ("principal_a", "admin"):
        summary = await run(session_factory, world.actors[who], "grade 7")
        assert summary.empty and summary.total == 0
        [reply] = await summary_commands.handle(
            engine, _ctx(world.actors[who]), "summary", "grade 7"
        )
        assert reply.attachments == ()
        assert "There is nothing to summarise in grade 7: no students, classes or analyses" in (
            reply.text
        )
    [hebrew] = await summary_commands.handle(
        engine, _ctx(world.actors["principal_a"], "he"), "summary", "grade 7"
    )
    assert hebrew.attachments == () and "אין כאן תלמידים, כיתות או ניתוחים" in hebrew.text
    # A grade with students but no analysis in the period is not empty: its chart is drawn.
    december = "grade 6 2026-12-01..2026-12-31"
    quiet = await run(session_factory, world.actors["principal_a"], december)
    assert not quiet.empty and quiet.total == 0
    [chart] = await summary_commands.handle(
        engine, _ctx(world.actors["principal_a"]), "summary", december
    )
    assert len(chart.attachments) == 1


async def test_retention_asks_before_it_anonymises_and_the_button_does_it(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    await seed(session_factory)
    await raw.execute(
        "UPDATE students SET deleted_at = now() - interval '8 years' WHERE student_id = 'N6'"
    )
    call = Call(lambda: UnitOfWork(session_factory), system_actor(Channel("CLI")), "en")
    redacted = "SELECT count(*) FROM students WHERE first_name = 'REDACTED'"

    asked = await execute(call, "retention")
    [question] = asked.replies
    assert question.text.startswith("Retention would anonymise 1 student and 0 users now.")
    assert [(b.label, b.action) for b in question.buttons] == [
        ("Anonymise now", RETENTION_CONFIRMED)
    ]
    assert await raw.fetchval(redacted) == 0  # asking changed nothing

    pressed = from_action(question.buttons[0].action)  # what the chat does with the button
    assert pressed.verb == "admin"
    done = await execute(call, pressed.argument)
    assert done.status == 0 and done.replies[0].text.startswith(
        "Retention: anonymised 1 student and 0 users."
    )
    assert await raw.fetchval(redacted) == 1
    [nothing] = (await execute(call, "retention")).replies
    assert nothing.text.startswith("Retention: nothing is due") and nothing.buttons == ()
