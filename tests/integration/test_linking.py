"""Link codes: issued by an admin, redeemed once from a chat app before they expire, audited."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel, system_actor
from core.demo import seed_demo
from core.errors import AccessDenied, NotFound
from core.models import ChatPlatform, UserRole
from core.services.linking import (
    LinkAttemptsExceeded,
    LinkCodeExpired,
    LinkCodeUsed,
    code_hash,
    create_link_code,
    redeem_link_code,
)
from core.views import UserView
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
CHANNEL = Channel("TELEGRAM", "555", "123456789")


@pytest.fixture
async def demo(session_factory: Factory) -> None:
    """The demo school and its staff."""
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)


async def _issue(factory: Factory, email: str = "teacher1@demo.school", **kwargs: object) -> str:
    async with seeding(factory) as uow:
        return await create_link_code(uow=uow, actor=system_actor(), email=email, **kwargs)  # type: ignore[arg-type]


async def _redeem(factory: Factory, code: str, external_user_id: str = "555") -> UserView:
    async with seeding(factory) as uow:
        return await redeem_link_code(
            uow=uow, actor=system_actor(CHANNEL), code=code, platform=ChatPlatform.TELEGRAM,
            workspace_id="123456789", external_user_id=external_user_id)


async def test_admin_issues_a_url_safe_code_stored_with_an_expiry_and_audited(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory, ttl=timedelta(hours=2))
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", code)
    row = await raw.fetchrow(
        "SELECT l.*, u.email, l.expires_at - now() AS left FROM link_codes l "
        "JOIN users u ON u.id = l.user_id")
    # Only the hash is stored: a copy of the table links nobody.
    assert row["code"] == code_hash(code) != code and row["email"] == "teacher1@demo.school"
    assert row["used_at"] is None
    assert timedelta(hours=1, minutes=59) < row["left"] <= timedelta(hours=2)
    audit = await raw.fetchrow("SELECT * FROM audit_logs WHERE resource = 'LinkCode'")
    assert audit["action"] == "CREATE" and audit["resource_id"] == str(row["id"])


async def test_codes_are_different_every_time(demo: None, session_factory: Factory) -> None:
    assert await _issue(session_factory) != await _issue(session_factory)


async def test_teacher_may_not_issue_codes_and_the_refusal_is_audited(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    teacher = await raw.fetchrow("SELECT * FROM users WHERE email = 'teacher1@demo.school'")
    actor = Actor(teacher["id"], teacher["email"], UserRole.TEACHER, teacher["school_id"], None,
                  Channel("CLI"))
    async with seeding(session_factory) as uow:
        with pytest.raises(AccessDenied):
            await create_link_code(uow=uow, actor=actor, email="teacher2@demo.school")
    assert await raw.fetchval("SELECT count(*) FROM link_codes") == 0
    denied = await raw.fetchrow("SELECT * FROM audit_logs WHERE metadata->>'denied' = 'true'")
    assert denied["user_id"] == str(teacher["id"])


async def test_code_for_an_unknown_email_is_not_found(
    demo: None, session_factory: Factory
) -> None:
    with pytest.raises(NotFound):
        await _issue(session_factory, email="nobody@demo.school")


async def test_redeeming_links_the_chat_account_and_is_audited_as_the_users_login(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    user = await _redeem(session_factory, code)
    assert user.email == "teacher1@demo.school"
    identity = await raw.fetchrow("SELECT * FROM chat_identities")
    assert (identity["platform"], identity["workspace_id"], identity["external_user_id"]) == (
        "TELEGRAM", "123456789", "555")
    assert identity["user_id"] == user.id
    assert await raw.fetchval("SELECT used_at IS NOT NULL FROM link_codes")
    login = await raw.fetchrow("SELECT * FROM audit_logs WHERE action = 'LOGIN'")
    assert login["user_id"] == str(user.id) and login["user_email"] == "teacher1@demo.school"
    metadata = login["metadata"]
    assert '"method": "link_code"' in metadata and '"platform": "TELEGRAM"' in metadata


async def test_a_code_works_once(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    await _redeem(session_factory, code)
    with pytest.raises(LinkCodeUsed):
        await _redeem(session_factory, code, external_user_id="666")
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 1
    assert await raw.fetchval("SELECT count(*) FROM audit_logs WHERE action = 'LOGIN'") == 1
    failed = await raw.fetchrow("SELECT * FROM audit_logs WHERE metadata->>'failed' = 'true'")
    assert '"link_code_used"' in failed["metadata"]


async def test_two_simultaneous_redemptions_link_exactly_one_account(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    results = await asyncio.gather(
        _redeem(session_factory, code, "701"), _redeem(session_factory, code, "702"),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["LinkCodeUsed", "UserView"]
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 1


async def test_an_expired_code_is_refused_and_links_nothing(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    await raw.execute("UPDATE link_codes SET expires_at = now() - interval '1 minute'")
    with pytest.raises(LinkCodeExpired):
        await _redeem(session_factory, code)
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0
    assert await raw.fetchval("SELECT used_at FROM link_codes") is None


async def test_an_unknown_or_malformed_code_is_not_found_and_not_written_to_the_log(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    for guess in ("no-such-code-1234567890", "<script>", ""):
        with pytest.raises(NotFound):
            await _redeem(session_factory, guess)
    logged = await raw.fetch("SELECT metadata::text FROM audit_logs WHERE resource = 'LinkCode'")
    assert len(logged) == 3
    assert not any("no-such-code" in row[0] for row in logged)


async def test_a_code_of_a_deactivated_user_is_refused(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    await raw.execute("UPDATE users SET is_active = false WHERE email = 'teacher1@demo.school'")
    with pytest.raises(AccessDenied):
        await _redeem(session_factory, code)
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0


async def test_the_fifth_try_within_a_minute_of_four_failures_is_refused_even_with_a_good_code(
    demo: None, session_factory: Factory, raw: asyncpg.Connection
) -> None:
    code = await _issue(session_factory)
    for attempt in range(4):
        with pytest.raises(NotFound):
            await _redeem(session_factory, f"guessed-code-{attempt:02d}-abcdefgh")
    with pytest.raises(LinkAttemptsExceeded):
        await _redeem(session_factory, code)
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0
    refused = await raw.fetchrow(
        "SELECT * FROM audit_logs WHERE metadata->>'reason' = 'link_attempts_exceeded'"
    )
    assert refused["resource"] == "LinkCode" and refused["metadata"]
    # Another chat is not held back by this one's guesses.
    other = Channel("TELEGRAM", "556", "123456789")
    async with seeding(session_factory) as uow:
        await redeem_link_code(
            uow=uow, actor=system_actor(other), code=code, platform=ChatPlatform.TELEGRAM,
            workspace_id="123456789", external_user_id="556")  # fmt: skip
    # A minute later the chat may try again (the window is read from the audit trail's clock).
    await raw.execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_immutable")
    await raw.execute("UPDATE audit_logs SET created_at = created_at - interval '61 seconds'")
    await raw.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_immutable")
    with pytest.raises(LinkCodeUsed):
        await _redeem(session_factory, code)
