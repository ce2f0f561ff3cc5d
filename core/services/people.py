"""Staff accounts: create, change role, (de)activate, list, and set passwords (bcrypt)."""

from __future__ import annotations

import asyncio
import re

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor
from core.audit import record, service
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import AuditAction, School, User, UserRole
from core.ordering import hebrew_order
from core.policy import require_admin, require_role, visible_users
from core.services.schools import clean_name
from core.text import nfc
from core.uow import UnitOfWork
from core.views import Page, UserView

BCRYPT_ROUNDS = 10  # docs/database-schema.md, Users/Security
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer
MAX_EMAIL = 254
MAX_PAGE_SIZE = 200
# Deliberately simple: one @, no blanks, a dotted domain with an alphabetic TLD.
EMAIL = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}")
ROLES = ", ".join(r.value for r in UserRole)


def normalize_email(email: str) -> str:
    """The email stripped and lower-cased, or InvalidInput("email", ...) if malformed."""
    value = email.strip().lower()
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value) or ".." in value:
        raise InvalidInput(
            "email",
            f"not a valid email address: {email.strip()!r}",
            rule="email_format",
            values={"value": email.strip()},
        )
    return value


def parse_role(role: str | UserRole) -> UserRole:
    """TEACHER, PRINCIPAL or ADMIN (any case), else InvalidInput("role", ...)."""
    try:
        return UserRole(str(role).strip().upper())
    except ValueError:
        raise InvalidInput(
            "role",
            f"unknown role {role!r}; allowed: {ROLES}",
            rule="role_unknown",
            values={"value": str(role).strip(), "roles": ROLES},
        ) from None


# Private (not a use case): core/services exposes only @service coroutines.
async def _hash_password(password: str) -> str:
    encoded = password.encode("utf-8")
    if len(password) < MIN_PASSWORD or len(encoded) > MAX_PASSWORD_BYTES:
        raise InvalidInput(
            "password", f"at least {MIN_PASSWORD} characters and at most {MAX_PASSWORD_BYTES} bytes"
        )
    # ~50 ms of CPU per hash: in a thread so other chats are not stalled meanwhile.
    hashed = await asyncio.to_thread(bcrypt.hashpw, encoded, bcrypt.gensalt(BCRYPT_ROUNDS))
    return hashed.decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    """True if `password` matches the stored bcrypt hash (False for no hash or a bad one)."""
    encoded = password.encode("utf-8")
    if password_hash is None or len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode("ascii"))
    except ValueError:
        return False


async def _school_by_code(uow: UnitOfWork, code: str) -> School:
    school = await uow.session.scalar(
        select(School).where(School.code == nfc(code.strip()), School.deleted_at.is_(None))
    )
    if school is None:
        raise NotFound("School", code)
    return school


async def _user_by_email(uow: UnitOfWork, actor: Actor, email: str) -> User:
    user = await uow.session.scalar(
        select(User).where(func.lower(User.email) == email, visible_users(actor))
    )
    if user is None:
        raise NotFound("User", email)
    return user


@service
async def create_user(
    *,
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    role: str | UserRole,
    first_name: str,
    last_name: str,
    school_code: str | None = None,
    password: str | None = None,
) -> UserView:
    """Create a staff account (admin only), in `school_code` or else the admin's own school."""
    require_admin(actor, resource="User")
    email = normalize_email(email)
    user_role = parse_role(role)
    first = clean_name("first_name", first_name)
    last = clean_name("last_name", last_name)
    if school_code is not None:
        school_id = (await _school_by_code(uow, school_code)).id
    elif actor.school_id is not None:
        school_id = actor.school_id
    else:
        raise InvalidInput(
            "school_code", "required when the acting admin has no school", rule="school_required"
        )
    # Soft-deleted accounts keep their address: the unique index spans every row.
    taken = Conflict(
        f"a user with email {email} already exists", rule="email_taken", values={"email": email}
    )
    if await uow.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise taken
    password_hash = None if password is None else await _hash_password(password)
    user = User(
        email=email,
        role=user_role,
        first_name=first,
        last_name=last,
        school_id=school_id,
        password_hash=password_hash,
        is_active=True,
    )
    uow.session.add(user)
    try:
        await uow.session.flush()
    except IntegrityError as error:  # a concurrent create of the same address
        raise taken from error
    fields = ["email", "role", "first_name", "last_name", "school_id", "is_active"]
    if password_hash is not None:
        fields.append("password_hash")
    record(uow, actor, AuditAction.CREATE, "User", user.id, changed_fields=fields)
    await uow.commit()
    return UserView.of(user)


@service
async def update_user_role(
    *, uow: UnitOfWork, actor: Actor, email: str, role: str | UserRole
) -> UserView:
    """Change a user's role (admin only; not one's own, so the last admin cannot vanish)."""
    require_admin(actor, resource="User")
    new_role = parse_role(role)
    user = await _user_by_email(uow, actor, normalize_email(email))
    if user.id == actor.user_id:
        raise AccessDenied("cannot_change_own_role", resource="User", resource_id=str(user.id))
    changed = [] if user.role is new_role else ["role"]
    user.role = new_role
    record(uow, actor, AuditAction.UPDATE, "User", user.id, changed_fields=changed)
    await uow.commit()
    return UserView.of(user)


async def _set_active(uow: UnitOfWork, actor: Actor, email: str, active: bool) -> UserView:
    require_admin(actor, resource="User")
    user = await _user_by_email(uow, actor, normalize_email(email))
    if user.id == actor.user_id and not active:
        raise AccessDenied("cannot_deactivate_self", resource="User", resource_id=str(user.id))
    if user.is_active is active:
        state = "active" if active else "inactive"
        raise Conflict(
            f"user {user.email} is already {state}",
            rule="already_active" if active else "already_inactive",
            values={"email": user.email},
        )
    user.is_active = active
    record(uow, actor, AuditAction.UPDATE, "User", user.id, changed_fields=["is_active"])
    await uow.commit()
    return UserView.of(user)


@service
async def deactivate_user(*, uow: UnitOfWork, actor: Actor, email: str) -> UserView:
    """Suspend an account (admin only, never one's own); every service then refuses it."""
    return await _set_active(uow, actor, email, False)


@service
async def reactivate_user(*, uow: UnitOfWork, actor: Actor, email: str) -> UserView:
    """Lift a suspension (admin only)."""
    return await _set_active(uow, actor, email, True)


@service
async def set_password(*, uow: UnitOfWork, actor: Actor, email: str, password: str) -> None:
    """Set a password: an admin for anyone, any user for themselves; stored only as bcrypt."""
    target = normalize_email(email)
    if actor.role is not UserRole.ADMIN and target != actor.email.lower():
        raise AccessDenied("not_own_account", resource="User")
    user = await _user_by_email(uow, actor, target)
    user.password_hash = await _hash_password(password)
    record(uow, actor, AuditAction.UPDATE, "User", user.id, changed_fields=["password_hash"])
    await uow.commit()


@service
async def list_users(
    *,
    uow: UnitOfWork,
    actor: Actor,
    school_code: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[UserView]:
    """Staff in Hebrew order: admins any school (default all), principals their own only."""
    require_role(actor, UserRole.ADMIN, UserRole.PRINCIPAL, resource="User")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput("page", f"page >= 1 and page size 1..{MAX_PAGE_SIZE}", rule="page_range")
    school: School | None = None
    if school_code is not None:
        try:
            school = await _school_by_code(uow, school_code)
        except NotFound:
            if actor.role is UserRole.ADMIN:
                raise
        # A principal learns nothing about other schools, not even whether the code exists.
        if actor.role is UserRole.PRINCIPAL and (school is None or school.id != actor.school_id):
            raise AccessDenied("other_school", resource="User")
    stmt = select(User).where(visible_users(actor))
    if school is not None:
        stmt = stmt.where(User.school_id == school.id)
    rows = (
        await uow.session.scalars(
            stmt.order_by(*hebrew_order(User)).offset((page - 1) * page_size).limit(page_size + 1)
        )
    ).all()
    items = [UserView.of(u) for u in rows[:page_size]]
    record(
        uow,
        actor,
        AuditAction.READ,
        "User",
        operation="list",
        page=page,
        schoolCode=school.code if school else None,
        userIds=[str(u.id) for u in items],
    )
    await uow.commit()
    return Page(items, page, page_size, has_more=len(rows) > page_size)


LANGUAGES = ("he", "en")


@service
async def set_language(*, uow: UnitOfWork, actor: Actor, language: str) -> None:
    """Remember the actor's reply language (users.settings.language) on every platform."""
    if language not in LANGUAGES:
        raise InvalidInput("language", f"one of {', '.join(LANGUAGES)}")
    user = await uow.session.get(User, actor.user_id, with_for_update=True)
    if user is None:
        raise NotFound("User", str(actor.user_id))
    user.settings = {**(user.settings or {}), "language": language}
    record(uow, actor, AuditAction.UPDATE, "User", user.id, changed_fields=["settings.language"])
    await uow.commit()
