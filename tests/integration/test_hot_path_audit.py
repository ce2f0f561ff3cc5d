"""The exchange's hot path never commits a write of student data without its audit row.

The teacher's turn and the model's question are each one statement on the driver connection
(core/turn_statements.py): the audit row must be inserted by that same statement, so in the
same transaction, and the unit of work refuses a statement that would write without one.
"""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel
from core.driver_sql import DriverStatement, compose
from core.errors import AuditMissing
from core.models import AuditAction, UserRole
from core.uow import UnitOfWork
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI

# Every row of analysis_conversations, and the analysis as last written, with whether an
# audit row naming the analysis and its student was inserted by the same transaction (xmin).
WRITES_AND_AUDITS = """
SELECT c.role::text AS role, c.sequence_number AS n,
       (SELECT array_agg((a.metadata ->> 'turn')) FROM audit_logs a
         WHERE a.xmin = c.xmin AND a.resource = 'Analysis' AND a.resource_id = c.analysis_id::text
           AND a.metadata -> 'studentIds' ? an.student_id::text) AS audits
  FROM analysis_conversations c JOIN analyses an ON an.id = c.analysis_id
 ORDER BY c.sequence_number
"""
ANALYSIS_AUDITED = """
SELECT EXISTS (SELECT 1 FROM audit_logs a WHERE a.xmin = an.xmin AND a.resource = 'Analysis'
                AND a.resource_id = an.id::text)
  FROM analyses an
"""


async def test_every_turn_of_an_interview_is_committed_with_its_audit_row(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    for answer in ("He loves maps.", "Long texts are hard.", "Pictures help him."):
        fake_ai.push_question("And then?")
        assert (await chat.say(answer))[0].text == "And then?"
    rows = await raw.fetch(WRITES_AND_AUDITS)
    assert [r["role"] for r in rows] == ["SYSTEM", "ASSISTANT"] + ["USER", "ASSISTANT"] * 3
    assert all(r["audits"] for r in rows), rows
    # The hot path's rows (answers and the questions after them): the audit row of the same
    # transaction names the turn it wrote.
    for row in rows[2:]:
        assert str(row["n"]) in row["audits"], row
    assert await raw.fetchval(ANALYSIS_AUDITED)


def _teacher(row: asyncpg.Record) -> Actor:
    return Actor(row["id"], row["email"], UserRole.TEACHER, row["school_id"], None,
                 Channel("SHELL"), verified=True)  # fmt: skip


# A write of student data that would audit nothing: `audit` is passed but inserts no row.
CHEAT = """
WITH turn AS (INSERT INTO analysis_conversations (analysis_id, role, content, sequence_number)
              VALUES (:analysis_id, 'USER', 'unaudited', 99) RETURNING 1),
audit AS (INSERT INTO audit_logs (action, resource)
          SELECT 'UPDATE', 'Analysis' FROM jsonb_array_elements(:audit::jsonb) WHERE false
          RETURNING 1)
SELECT (SELECT count(*) FROM turn) AS written, (SELECT count(*) FROM audit) AS audited
"""


@pytest.mark.parametrize("on_driver", [True, False], ids=["on the driver", "in the session"])
async def test_a_driver_statement_writing_student_data_without_auditing_it_is_refused(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection,
    session_factory: async_sessionmaker[AsyncSession], on_driver: bool,
) -> None:  # fmt: skip
    fake_ai.push_question("What does Student A enjoy most in class?")
    await chat.say("analyze Liam")
    analysis = await raw.fetchval("SELECT id FROM analyses")
    teacher = _teacher(
        await raw.fetchrow(
            "SELECT id, email, school_id FROM users WHERE email = 'teacher1@demo.school'"
        )
    )
    count = "SELECT count(*) FROM analysis_conversations"
    before = await raw.fetchval(count)

    # One that does not insert the queued audit rows at all cannot even be built.
    with pytest.raises(ValueError, match="audit"):
        compose("WITH t AS (INSERT INTO analysis_conversations (analysis_id) VALUES (:a)) "
                "SELECT 1 AS written, 0 AS audited")  # fmt: skip
    statement = compose(CHEAT)
    assert isinstance(statement, DriverStatement) and statement.writes_student_data

    # Nothing queued: refused before it runs.
    async with UnitOfWork(session_factory) as uow:
        if on_driver:
            uow.use_driver()
        await uow.act_as(teacher)
        with pytest.raises(AuditMissing):
            await uow.run_audited(statement, {"analysis_id": analysis})
    # Queued, but the statement wrote without inserting it: refused and rolled back.
    async with UnitOfWork(session_factory) as uow:
        if on_driver:
            uow.use_driver()
        await uow.act_as(teacher)
        uow.add_audit_row({"user_id": str(teacher.user_id), "user_email": teacher.email,
                           "user_role": "TEACHER", "action": AuditAction.UPDATE,
                           "resource": "Analysis", "resource_id": str(analysis),
                           "metadata": {}})  # fmt: skip
        with pytest.raises(AuditMissing):
            await uow.run_audited(statement, {"analysis_id": analysis})
        await uow.commit()  # nothing left to commit: the write was rolled back
    assert await raw.fetchval(count) == before
    assert not await raw.fetchval(
        "SELECT count(*) FROM analysis_conversations WHERE content = 'unaudited'"
    )
