"""Least privilege and row-level security, as the application role the suite logs in as.

The application role may not change the schema, empty or delete from tables, or rewrite the
audit trail; inside a unit of work acting as a user, even a query with no policy filter at all
sees only what that user may see, and never another teacher's private notes.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import t
from core.actor import Actor, Channel
from core.demo import seed_demo
from core.errors import AccessDenied
from core.models import UserRole
from core.uow import UnitOfWork
from tests.conftest import TEST_APP_LOGIN
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
NOTES = "Private: talked to the parents"


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TRIGGER audit_logs_immutable ON audit_logs",
        "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_immutable",
        "ALTER TABLE audit_logs DISABLE TRIGGER ALL",
        "TRUNCATE students",
        "TRUNCATE audit_logs",
        "DELETE FROM students",
        "DELETE FROM analyses",
        "DELETE FROM audit_logs",
        "UPDATE audit_logs SET action = 'READ'",
        "CREATE TABLE evil (id int)",
        "ALTER TABLE students ADD COLUMN evil int",
        "DROP TABLE analyses",
        "UPDATE alembic_version SET version_num = '0001'",
        "DELETE FROM audit_ddl_events",
        # Row-level security's own bookkeeping (0015): the roster's epoch moves by trigger
        # only, and the rule views (which read as their owner) are read-only.
        "UPDATE ge_roster_epoch SET n = 0",
        "UPDATE ge_school_classes SET id = id",
        "UPDATE ge_teacher_analyses SET id = id",
        "INSERT INTO ge_principal_students (id) VALUES (gen_random_uuid())",
        # Each partition of the audit trail is as append-only as its parent (0010).
        "UPDATE audit_logs_default SET action = 'READ'",
        "DELETE FROM audit_logs_default",
        "TRUNCATE audit_logs_default",
        # The flag rollup is written by its trigger only (0009).
        "INSERT INTO analysis_flags SELECT id, student_id, now() FROM analyses",
        "UPDATE analysis_flags SET flagged_at = now()",
        "DELETE FROM analysis_flags",
        # So are the theme keys (0011).
        "INSERT INTO analysis_themes SELECT id, 'strengths', 1, student_id FROM analyses",
        "UPDATE analysis_themes SET key = 'x'",
        "DELETE FROM analysis_themes",
    ],
)
async def test_the_application_role_cannot(app: asyncpg.Connection, statement: str) -> None:
    assert await app.fetchval("SELECT current_user") == TEST_APP_LOGIN
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app.execute(statement)


async def test_a_partition_the_operator_creates_later_is_append_only_for_the_application(
    app: asyncpg.Connection, raw: asyncpg.Connection
) -> None:
    name = await raw.fetchval("SELECT public.ge_audit_partition('2090-01-01')")
    rights = await app.fetchrow(
        "SELECT has_table_privilege($1, 'SELECT') AS s, has_table_privilege($1, 'INSERT') AS i, "
        "has_table_privilege($1, 'UPDATE') AS u, has_table_privilege($1, 'DELETE') AS d, "
        "has_table_privilege($1, 'TRUNCATE') AS t",
        name,
    )
    assert dict(rights) == {"s": True, "i": True, "u": False, "d": False, "t": False}
    for statement in (f"UPDATE {name} SET action = 'READ'", f"TRUNCATE {name}"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(statement)


async def test_the_application_role_owns_nothing_and_is_no_superuser(
    app: asyncpg.Connection,
) -> None:
    role = await app.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = current_user"
    )
    assert not any(role.values())
    owned = await app.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'MEMBER')"
    )
    assert owned == 0


async def test_without_an_actor_the_application_sees_no_student_data(
    session_factory: Factory, app: asyncpg.Connection, raw: asyncpg.Connection
) -> None:
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    assert await raw.fetchval("SELECT count(*) FROM students") == 40
    for table in ("students", "classes", "class_enrollments", "analyses"):
        assert await app.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # Staff and the audit trail are not student data: readable, as the dialogue's lookup needs.
    assert await app.fetchval("SELECT count(*) FROM users") == 4


async def _world(session_factory: Factory, raw: asyncpg.Connection) -> dict[str, Actor]:
    """The demo school, a second school with one student, and a note on teacher1's analysis."""
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    district = await raw.fetchval("SELECT district_id FROM schools")
    other = await raw.fetchval(
        "INSERT INTO schools (code, name, district_id) VALUES ('B', 'Other', $1) RETURNING id",
        district,
    )
    await raw.execute(
        "INSERT INTO students (school_id, student_id, first_name, last_name, grade_level) "
        "VALUES ($1, 'B-1', 'Outside', 'School', '5')",
        other,
    )
    teacher = await raw.fetchrow("SELECT * FROM users WHERE email = 'teacher1@demo.school'")
    student = await raw.fetchval(
        "SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id "
        "WHERE c.teacher_id = $1 LIMIT 1",
        teacher["id"],
    )
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id, private_notes) VALUES ($1, $2, $3)",
        student,
        teacher["id"],
        NOTES,
    )
    actors = {}
    for email in ("teacher1@demo.school", "principal@demo.school", "admin@demo.school"):
        row = await raw.fetchrow("SELECT * FROM users WHERE email = $1", email)
        actors[email.split("@")[0]] = Actor(
            row["id"], email, UserRole(row["role"]), row["school_id"], district, Channel("CLI")
        )
    return actors


async def _unfiltered(factory: Factory, actor: Actor, sql: str) -> list[object]:
    """A test-only raw SELECT with no policy filter, inside a unit of work acting as `actor`."""
    async with UnitOfWork(factory) as uow:
        await uow.act_as(actor)
        return list((await uow.session.execute(text(sql))).scalars())


async def test_rls_a_teachers_unfiltered_query_returns_only_their_own_students(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    actors = await _world(session_factory, raw)
    teacher = actors["teacher1"]
    own = {
        row[0]
        for row in await raw.fetch(
            "SELECT DISTINCT e.student_id FROM class_enrollments e "
            "JOIN classes c ON c.id = e.class_id WHERE c.teacher_id = $1",
            teacher.user_id,
        )
    }
    seen = set(await _unfiltered(session_factory, teacher, "SELECT id FROM students"))
    assert seen == own and 0 < len(own) < 40
    analyses = await _unfiltered(session_factory, teacher, "SELECT teacher_id FROM analyses")
    assert analyses == [teacher.user_id]


async def test_rls_a_principals_unfiltered_query_returns_only_their_school(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    actors = await _world(session_factory, raw)
    principal = actors["principal"]
    schools = await _unfiltered(session_factory, principal, "SELECT school_id FROM students")
    assert len(schools) == 40 and set(schools) == {principal.school_id}
    assert set(await _unfiltered(session_factory, principal, "SELECT school_id FROM classes")) == {
        principal.school_id
    }
    # The admin path sees both schools.
    assert len(await _unfiltered(session_factory, actors["admin"], "SELECT id FROM students")) == 41


async def test_private_notes_never_reach_a_principals_transaction(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    actors = await _world(session_factory, raw)
    principal, teacher = actors["principal"], actors["teacher1"]
    with pytest.raises(Exception, match="permission denied"):
        await _unfiltered(session_factory, principal, "SELECT private_notes FROM analyses")
    notes = "SELECT ge_private_notes(id) FROM analyses"
    assert await _unfiltered(session_factory, principal, notes) == [None]
    assert await _unfiltered(session_factory, teacher, notes) == [NOTES]


async def test_rls_flags_are_seen_only_with_their_analysis(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    actors = await _world(session_factory, raw)
    # As the owner: the trigger writes the rollup row.
    await raw.execute("UPDATE analyses SET flagged_for_review = true")
    assert await raw.fetchval("SELECT count(*) FROM analysis_flags") == 1
    assert await app.fetchval("SELECT count(*) FROM analysis_flags") == 0  # no actor
    flags = "SELECT analysis_id FROM analysis_flags"
    assert len(await _unfiltered(session_factory, actors["teacher1"], flags)) == 1
    assert len(await _unfiltered(session_factory, actors["admin"], flags)) == 1
    assert len(await _unfiltered(session_factory, actors["principal"], flags)) == 1
    teacher2 = await raw.fetchrow("SELECT * FROM users WHERE email = 'teacher2@demo.school'")
    colleague = Actor(teacher2["id"], "teacher2@demo.school", UserRole.TEACHER,
                      teacher2["school_id"], None, Channel("CLI"))  # fmt: skip
    own = await raw.fetchval(
        "SELECT count(*) FROM class_enrollments e JOIN classes c ON c.id = e.class_id "
        "JOIN analyses a ON a.student_id = e.student_id WHERE c.teacher_id = $1",
        teacher2["id"],
    )
    assert len(await _unfiltered(session_factory, colleague, flags)) == own


async def test_a_stale_actor_is_refused_when_its_unit_of_work_begins(
    session_factory: Factory, raw: asyncpg.Connection
) -> None:
    actors = await _world(session_factory, raw)
    promoted = Actor(**{**actors["teacher1"].__dict__, "role": UserRole.PRINCIPAL})
    with pytest.raises(AccessDenied, match="role_changed"):
        await _unfiltered(session_factory, promoted, "SELECT id FROM students")
    await raw.execute("UPDATE users SET is_active = false WHERE email = 'teacher1@demo.school'")
    with pytest.raises(AccessDenied, match="user_inactive"):
        await _unfiltered(session_factory, actors["teacher1"], "SELECT id FROM students")
    stranger = Actor(uuid.uuid4(), "x@y", UserRole.ADMIN, None, None, Channel("CLI"))
    with pytest.raises(AccessDenied, match="unknown_user"):
        await _unfiltered(session_factory, stranger, "SELECT id FROM students")


async def test_a_teacher_deactivated_while_the_model_answers_gets_no_reply_stored(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection
) -> None:
    await chat.say("lang en")
    fake_ai.push_question("What does Student A enjoy in class?")
    await chat.say("analyze Liam")
    fake_ai.push_delay(1.0)
    fake_ai.push_question("Where does Student A struggle?")
    asked = len(fake_ai.requests)
    answering = asyncio.create_task(chat.say("Liam loves maps."))
    async with asyncio.timeout(10):
        for _ in iter(lambda: len(fake_ai.requests) > asked, True):  # polls the fake server
            await asyncio.sleep(0.01)
    # The model has the question and is answering: deactivate the teacher now.
    await raw.execute("UPDATE users SET is_active = false WHERE email = 'teacher1@demo.school'")

    replies = await answering

    # Live when the turn began, refused after the model call: the dialogue (integ's account
    # changes) ends the open interview with one message rather than a bare refusal.
    assert [r.text for r in replies] == [t("en", "conversation_ended")]
    last = await raw.fetchrow(
        "SELECT role::text, content FROM analysis_conversations "
        "ORDER BY sequence_number DESC LIMIT 1"
    )
    assert last["role"] == "USER", "the model's reply was not stored"
    assert "struggle" not in "".join(
        r[0] for r in await raw.fetch("SELECT content FROM analysis_conversations")
    )
    denial = await raw.fetchrow(
        "SELECT user_email, metadata->>'reason' AS reason FROM audit_logs "
        "WHERE metadata->>'denied' = 'true' ORDER BY created_at DESC LIMIT 1"
    )
    assert tuple(denial) == ("teacher1@demo.school", "user_inactive")
