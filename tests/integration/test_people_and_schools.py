"""Staff accounts, districts and schools: who may manage them, validation, audit, bcrypt."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import asyncpg
import bcrypt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel, actor_for, system_actor
from core.audit import record
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import AuditAction, District, School, User, UserRole
from core.services import people, schools
from core.services.students import list_my_students
from tests.service_fixtures import Run, last_audit, seeding

Factory = async_sessionmaker[AsyncSession]
SHELL = Channel("SHELL")
SECRET = "correct horse battery"


@dataclass(frozen=True)
class World:
    """Two schools: A (admin, principal, teacher) in district D1, and B (a principal)."""

    admin: Actor
    principal: Actor
    teacher: Actor
    other_principal: Actor
    school_a: uuid.UUID
    school_b: uuid.UUID


@pytest.fixture
async def world(session_factory: Factory) -> World:
    """The two schools and their staff, written the way the seed does (audited as system)."""
    async with seeding(session_factory) as uow:
        district = District(code="D1", name="מחוז", country="IL")
        uow.session.add(district)
        await uow.session.flush()
        a = School(code="A", name="בית ספר א", district_id=district.id)
        b = School(code="B", name="בית ספר ב")
        uow.session.add_all([a, b])
        await uow.session.flush()
        people_rows = [
            ("admin", "admin@a.school", UserRole.ADMIN, a, "Noa", "Admin"),
            ("principal", "principal@a.school", UserRole.PRINCIPAL, a, "רחל", "כהן"),
            ("teacher", "teacher@a.school", UserRole.TEACHER, a, "דנה", "לוי"),
            ("other", "principal@b.school", UserRole.PRINCIPAL, b, "Dan", "Bee"),
        ]
        staff = {
            key: User(email=email, role=role, school_id=s.id, first_name=f, last_name=ln)
            for key, email, role, s, f, ln in people_rows
        }
        uow.session.add_all(staff.values())
        await uow.session.flush()
        record(uow, system_actor(), AuditAction.CREATE, "Fixture", "people")
        await uow.commit()
    return World(
        actor_for(staff["admin"], a, SHELL),
        actor_for(staff["principal"], a, SHELL),
        actor_for(staff["teacher"], a, SHELL),
        actor_for(staff["other"], b, SHELL),
        a.id,
        b.id,
    )


async def all_audit_text(raw: asyncpg.Connection) -> str:
    """Every audit row as one string, to search for leaked secrets."""
    rows = await raw.fetch("SELECT audit_logs::text AS t FROM audit_logs")
    return "\n".join(r["t"] for r in rows)


# --- users -------------------------------------------------------------------------------------


async def test_admin_creates_user_with_bcrypt_password(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    view = await run(
        people.create_user,
        world.admin,
        email="  New.Teacher@A.School ",
        role="teacher",
        first_name="יעל",
        last_name="מזרחי",
        password=SECRET,
    )
    assert view.email == "new.teacher@a.school"
    assert (view.role, view.school_id, view.is_active) == ("TEACHER", world.school_a, True)
    stored = await raw.fetchval("SELECT password_hash FROM users WHERE id = $1", view.id)
    assert stored.startswith("$2b$10$")
    assert bcrypt.checkpw(SECRET.encode(), stored.encode())
    assert people.verify_password(SECRET, stored)
    assert not people.verify_password("wrong password", stored)
    audit = await last_audit(raw)
    assert (audit["action"], audit["resource"], audit["resource_id"]) == (
        "CREATE",
        "User",
        str(view.id),
    )
    assert audit["user_email"] == "admin@a.school"
    assert "password_hash" in audit["metadata"]["changedFields"]
    text = await all_audit_text(raw)
    assert SECRET not in text and stored not in text and "$2b$" not in text


async def test_create_user_in_another_school_by_code(run: Run, world: World) -> None:
    view = await run(
        people.create_user,
        world.admin,
        email="x@b.school",
        role=UserRole.PRINCIPAL,
        first_name="X",
        last_name="Y",
        school_code="B",
    )
    assert view.school_id == world.school_b


async def test_non_admin_cannot_create_users(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    with pytest.raises(AccessDenied):
        await run(
            people.create_user,
            world.principal,
            email="x@a.school",
            role="TEACHER",
            first_name="X",
            last_name="Y",
        )
    audit = await last_audit(raw)
    assert audit["metadata"]["denied"] is True
    assert audit["metadata"]["reason"] == "role_principal_not_allowed"
    assert audit["user_email"] == "principal@a.school"
    assert await raw.fetchval("SELECT count(*) FROM users WHERE email = 'x@a.school'") == 0


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"role": "JANITOR"}, InvalidInput, "role: unknown role 'JANITOR'; allowed: TEACHER, "),
        ({"school_code": "ZZZ"}, NotFound, "School not found: ZZZ"),
        ({"email": "not-an-email"}, InvalidInput, "email: not a valid email address"),
        ({"email": "a@b"}, InvalidInput, "email: not a valid email address"),
        ({"email": "TEACHER@A.School"}, Conflict, "teacher@a.school already exists"),
        ({"first_name": "  "}, InvalidInput, "first_name: 1..200 characters"),
        ({"password": "short"}, InvalidInput, "password: at least 8 characters"),
    ],
)
async def test_create_user_rejects_bad_arguments(
    run: Run,
    raw: asyncpg.Connection,
    world: World,
    overrides: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    before = await raw.fetchval("SELECT count(*) FROM users")
    args = {"email": "n@a.school", "role": "TEACHER", "first_name": "N", "last_name": "M"}
    with pytest.raises(error, match=re.escape(message)) as caught:
        await run(people.create_user, world.admin, **{**args, **overrides})
    assert await raw.fetchval("SELECT count(*) FROM users") == before
    audit = await last_audit(raw)
    assert audit["metadata"]["failed"] is True
    assert audit["metadata"]["error"] == caught.value.code  # type: ignore[attr-defined]


async def test_role_change_moves_updated_at_and_names_the_field(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    before = await raw.fetchval("SELECT updated_at FROM users WHERE id = $1", world.teacher.user_id)
    view = await run(
        people.update_user_role, world.admin, email="Teacher@a.school", role="PRINCIPAL"
    )
    assert view.role == "PRINCIPAL"
    after = await raw.fetchval("SELECT updated_at FROM users WHERE id = $1", world.teacher.user_id)
    assert after > before
    audit = await last_audit(raw)
    assert (audit["action"], audit["metadata"]["changedFields"]) == ("UPDATE", ["role"])
    assert "PRINCIPAL" not in json.dumps(audit["metadata"])  # names, never values
    with pytest.raises(AccessDenied, match="cannot_change_own_role"):
        await run(people.update_user_role, world.admin, email="admin@a.school", role="TEACHER")


async def test_deactivated_user_is_refused_everywhere_until_reactivated(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    view = await run(people.deactivate_user, world.admin, email="teacher@a.school")
    assert view.is_active is False
    with pytest.raises(AccessDenied, match="user_inactive"):
        await run(list_my_students, world.teacher)
    audit = await last_audit(raw)
    assert audit["metadata"]["denied"] is True
    assert audit["metadata"]["reason"] == "user_inactive"
    assert audit["user_email"] == "teacher@a.school"
    with pytest.raises(Conflict, match="already inactive"):
        await run(people.deactivate_user, world.admin, email="teacher@a.school")
    await run(people.reactivate_user, world.admin, email="teacher@a.school")
    page = await run(list_my_students, world.teacher)
    assert page.items == []


async def test_admin_cannot_deactivate_themselves(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    with pytest.raises(AccessDenied, match="cannot_deactivate_self"):
        await run(people.deactivate_user, world.admin, email="admin@a.school")
    assert await raw.fetchval("SELECT is_active FROM users WHERE email = 'admin@a.school'")
    with pytest.raises(AccessDenied):
        await run(people.deactivate_user, world.principal, email="teacher@a.school")


async def test_list_users_by_role_and_school(run: Run, world: World) -> None:
    everyone = await run(people.list_users, world.admin)
    assert len(everyone.items) == 4
    school_a = await run(people.list_users, world.admin, school_code="A")
    # Hebrew before Latin, by last name: כהן, לוי, then Admin.
    assert [u.email for u in school_a.items] == [
        "principal@a.school",
        "teacher@a.school",
        "admin@a.school",
    ]
    first = await run(people.list_users, world.admin, page_size=3)
    assert first.has_more and len(first.items) == 3
    own = await run(people.list_users, world.principal)
    assert {u.school_id for u in own.items} == {world.school_a} and len(own.items) == 3
    again = await run(people.list_users, world.principal, school_code="A")
    assert again.items == own.items
    for code in ("B", "NOPE"):
        with pytest.raises(AccessDenied, match="other_school"):
            await run(people.list_users, world.principal, school_code=code)
    with pytest.raises(NotFound):
        await run(people.list_users, world.admin, school_code="NOPE")
    with pytest.raises(AccessDenied, match="role_teacher_not_allowed"):
        await run(people.list_users, world.teacher)


async def test_set_password_for_oneself_or_by_admin_only(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    await run(people.set_password, world.teacher, email="teacher@a.school", password=SECRET)
    stored = await raw.fetchval("SELECT password_hash FROM users WHERE email = 'teacher@a.school'")
    assert people.verify_password(SECRET, stored)
    audit = await last_audit(raw)
    assert audit["metadata"]["changedFields"] == ["password_hash"]
    with pytest.raises(AccessDenied, match="not_own_account"):
        await run(people.set_password, world.teacher, email="admin@a.school", password=SECRET)
    await run(people.set_password, world.admin, email="teacher@a.school", password="another secret")
    stored = await raw.fetchval("SELECT password_hash FROM users WHERE email = 'teacher@a.school'")
    assert people.verify_password("another secret", stored)
    text = await all_audit_text(raw)
    assert SECRET not in text and "another secret" not in text and "$2b$" not in text


# --- districts and schools ---------------------------------------------------------------------


async def test_admin_creates_districts_and_schools(
    run: Run, raw: asyncpg.Connection, world: World
) -> None:
    district = await run(schools.create_district, world.admin, code="D2", name="צפון")
    assert (district.code, district.country) == ("D2", "IL")
    school = await run(
        schools.create_school, world.admin, code="C", name="גבעה", district_code="D2"
    )
    assert school.district_id == district.id
    audit = await last_audit(raw)
    assert (audit["action"], audit["resource"], audit["resource_id"]) == (
        "CREATE",
        "School",
        str(school.id),
    )
    with pytest.raises(Conflict, match="a district with code D2 already exists"):
        await run(schools.create_district, world.admin, code="D2", name="x")
    with pytest.raises(Conflict, match="a school with code A already exists"):
        await run(schools.create_school, world.admin, code="A", name="x")
    with pytest.raises(NotFound, match="District not found: D9"):
        await run(schools.create_school, world.admin, code="E", name="x", district_code="D9")
    with pytest.raises(InvalidInput, match="country"):
        await run(schools.create_district, world.admin, code="D3", name="x", country="Israel")


async def test_only_admins_create_schools(run: Run, raw: asyncpg.Connection, world: World) -> None:
    for actor in (world.principal, world.teacher):
        with pytest.raises(AccessDenied):
            await run(schools.create_school, actor, code="Z", name="z")
        audit = await last_audit(raw)
        assert audit["metadata"]["denied"] is True and audit["resource"] == "School"
    with pytest.raises(AccessDenied):
        await run(schools.create_district, world.principal, code="Z", name="z")
    assert await raw.fetchval("SELECT count(*) FROM schools") == 2


async def test_list_schools_by_role(run: Run, world: World) -> None:
    every = await run(schools.list_schools, world.admin)
    assert {s.code for s in every} == {"A", "B"}
    for actor, code in ((world.principal, "A"), (world.teacher, "A"), (world.other_principal, "B")):
        assert [s.code for s in await run(schools.list_schools, actor)] == [code]
