"""`audit user`: rows under the account and rows under its address, merged newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import system_actor
from core.services.audit_queries import audit_by_user
from core.uow import UnitOfWork

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


async def test_pages_merge_the_accounts_rows_and_the_addresss_rows_once_each(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    district = await raw.fetchval(
        "INSERT INTO districts (name, code) VALUES ('D', 'D') RETURNING id"
    )
    school = await raw.fetchval(
        "INSERT INTO schools (name, code, district_id) VALUES ('S', 'S', $1) RETURNING id", district
    )
    user = await raw.fetchval(
        "INSERT INTO users (email, role, first_name, last_name, school_id) "
        "VALUES ('t@x.test', 'TEACHER', 'T', 'T', $1) RETURNING id", school,
    )  # fmt: skip
    # Under the account only, under the address only (an anonymised account's old rows),
    # under both, and someone else's: by minute, so the expected order is known.
    rows = [(str(user), "other@x.test"), (None, "T@x.test"), (str(user), "t@x.test"),
            (None, "t@x.test"), (str(uuid.uuid4()), "else@x.test"), (str(user), None)]  # fmt: skip
    ids = []
    for minute, (user_id, email) in enumerate(rows):
        ids.append(await raw.fetchval(
            "INSERT INTO audit_logs (user_id, user_email, action, resource, created_at) "
            "VALUES ($1, $2, 'READ', 'Student', $3) RETURNING id",
            user_id, email, T0 + timedelta(minutes=minute),
        ))  # fmt: skip
    expected = [ids[i] for i in (5, 3, 2, 1, 0)]
    seen: list[uuid.UUID] = []
    before = None
    while True:
        async with UnitOfWork(session_factory) as uow:
            page = await audit_by_user(
                uow=uow, actor=system_actor(), email="T@X.test", before=before, limit=2
            )
        # The reads of the trail are audited under the system, never this user: not listed.
        seen += [entry.id for entry in page.items]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == expected
