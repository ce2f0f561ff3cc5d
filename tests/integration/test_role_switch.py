"""Each actor's transaction runs as its own database role, which carries only that role's rules.

Migration 0016: `ge_act_as` switches the transaction to `growth_engine_teacher`, `_principal` or
`_admin` (admins and the system). The roles may do no more than the application group, and the
group, which may switch to them, inherits nothing from them.
"""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.service_fixtures import demo_staff

Factory = async_sessionmaker[AsyncSession]


async def _act(app: asyncpg.Connection, who: asyncpg.Record | None, role: str = "") -> object:
    if who is None:
        return await app.fetchval("SELECT ge_act_as(NULL, $1, NULL)", role)
    return await app.fetchval(
        "SELECT ge_act_as($1, $2, $3)", who["id"], role or who["role"], who["school_id"]
    )


async def test_each_actor_runs_as_its_role_and_a_refused_one_as_the_login_again(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    login = await app.fetchval("SELECT session_user")
    async with app.transaction():
        for who, role in (("teacher1", "teacher"), ("principal", "principal"),
                          ("admin", "admin")):  # fmt: skip
            assert await _act(app, staff[who]) is None
            assert await app.fetchval("SELECT current_user") == f"growth_engine_{role}"
        assert await _act(app, None, "SYSTEM") is None
        assert await app.fetchval("SELECT current_user") == "growth_engine_admin"
        # A refused actor (promoted meanwhile, say) is back to the login, which sees nothing.
        assert await _act(app, staff["teacher1"], "PRINCIPAL") == "role_changed"
        assert await app.fetchval("SELECT current_user") == login
        assert await app.fetchval("SELECT count(*) FROM students") == 0
    # The switch is the transaction's only.
    assert await app.fetchval("SELECT current_user") == login


async def test_the_login_inherits_no_actor_role(app: asyncpg.Connection) -> None:
    for role in ("growth_engine_teacher", "growth_engine_principal", "growth_engine_admin"):
        assert await app.fetchval("SELECT pg_has_role(session_user, $1, 'MEMBER')", role)
        assert not await app.fetchval("SELECT pg_has_role(session_user, $1, 'USAGE')", role)


FORBIDDEN = (
    "DELETE FROM students",
    "DELETE FROM analyses",
    "TRUNCATE students",
    "UPDATE audit_logs SET action = 'READ'",
    "DELETE FROM audit_logs",
    "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_immutable",
    "DROP TABLE analyses",
    "SELECT private_notes FROM analyses",
    "UPDATE ge_roster_epoch SET n = 0",
)


@pytest.mark.parametrize("who", ["teacher1", "principal", "admin"])
async def test_an_actor_role_may_do_no_more_than_the_application(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection, who: str
) -> None:
    staff = await demo_staff(session_factory, raw)
    for statement in FORBIDDEN:
        with pytest.raises(asyncpg.PostgresError) as refused:
            async with app.transaction():
                assert await _act(app, staff[who]) is None
                await app.execute(statement)
        reason = str(refused.value)
        assert "permission denied" in reason or "must be owner" in reason, statement
