"""Districts and schools: creation by admins, listing within the actor's reach."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.actor import Actor
from core.audit import record, service
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import AuditAction, District, School, UserRole
from core.ordering import name_order
from core.policy import require_admin
from core.text import nfc
from core.uow import UnitOfWork

MAX_CODE = 64
MAX_NAME = 200
COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class DistrictView:
    """A district."""

    id: uuid.UUID
    code: str
    name: str
    country: str

    @classmethod
    def of(cls, d: District) -> DistrictView:
        """From a loaded row."""
        return cls(d.id, d.code, d.name, d.country)


@dataclass(frozen=True)
class SchoolView:
    """A school and its district, if any."""

    id: uuid.UUID
    code: str
    name: str
    district_id: uuid.UUID | None

    @classmethod
    def of(cls, s: School) -> SchoolView:
        """From a loaded row."""
        return cls(s.id, s.code, s.name, s.district_id)


def clean_code(field: str, code: str) -> str:
    """A code stripped and NFC-normalised; empty, blank-containing or overlong is InvalidInput."""
    value = nfc(code.strip())
    if not value or len(value) > MAX_CODE or any(c.isspace() for c in value):
        raise InvalidInput(
            field,
            f"a code of 1..{MAX_CODE} characters without spaces",
            rule="code_format",
            values={"max": MAX_CODE},
        )
    return value


def clean_name(field: str, name: str) -> str:
    """A display name stripped and NFC-normalised; empty or overlong is InvalidInput."""
    value = nfc(name.strip())
    if not value or len(value) > MAX_NAME:
        raise InvalidInput(
            field, f"1..{MAX_NAME} characters", rule="name_length", values={"max": MAX_NAME}
        )
    return value


def _code_taken(kind: str, code: str, *, rule: str) -> Conflict:
    """A district's or school's `code` already in use (`kind`: "district", "school")."""
    return Conflict(f"a {kind} with code {code} already exists", rule=rule, values={"code": code})


async def _flush_unique(uow: UnitOfWork, taken: Conflict) -> None:
    # A concurrent insert of the same code slips past the pre-check; the unique index decides.
    try:
        await uow.session.flush()
    except IntegrityError as error:
        raise taken from error


@service
async def create_district(
    *, uow: UnitOfWork, actor: Actor, code: str, name: str, country: str = "IL"
) -> DistrictView:
    """Create a district (admin only); its code must be new."""
    require_admin(actor, resource="District")
    code = clean_code("code", code)
    name = clean_name("name", name)
    country = country.strip().upper()
    if not COUNTRY.fullmatch(country):
        raise InvalidInput(
            "country", "a two-letter ISO 3166 code such as IL", rule="country_format"
        )
    # Soft-deleted districts keep their code: the unique index spans every row.
    if await uow.session.scalar(select(District.id).where(District.code == code)):
        raise _code_taken("district", code, rule="district_code_taken")
    district = District(code=code, name=name, country=country)
    uow.session.add(district)
    await _flush_unique(uow, _code_taken("district", code, rule="district_code_taken"))
    record(
        uow,
        actor,
        AuditAction.CREATE,
        "District",
        district.id,
        changed_fields=["code", "name", "country"],
    )
    await uow.commit()
    return DistrictView.of(district)


@service
async def create_school(
    *, uow: UnitOfWork, actor: Actor, code: str, name: str, district_code: str | None = None
) -> SchoolView:
    """Create a school (admin only), optionally in a district given by code."""
    require_admin(actor, resource="School")
    code = clean_code("code", code)
    name = clean_name("name", name)
    district_id: uuid.UUID | None = None
    if district_code is not None:
        district_id = await uow.session.scalar(
            select(District.id).where(
                District.code == nfc(district_code.strip()), District.deleted_at.is_(None)
            )
        )
        if district_id is None:
            raise NotFound("District", district_code)
    if await uow.session.scalar(select(School.id).where(School.code == code)):
        raise _code_taken("school", code, rule="school_code_taken")
    school = School(code=code, name=name, district_id=district_id)
    uow.session.add(school)
    await _flush_unique(uow, _code_taken("school", code, rule="school_code_taken"))
    fields = ["code", "name"] + (["district_id"] if district_id else [])
    record(uow, actor, AuditAction.CREATE, "School", school.id, changed_fields=fields)
    await uow.commit()
    return SchoolView.of(school)


@service
async def list_districts(*, uow: UnitOfWork, actor: Actor) -> list[DistrictView]:
    """Live districts, by code (admin only: only an admin summarises a district)."""
    if actor.role is not UserRole.ADMIN:  # the reason a district summary gives (core/scopes)
        raise AccessDenied("admin_only", resource="District")
    stmt = select(District).where(District.deleted_at.is_(None)).order_by(District.code)
    views = [DistrictView.of(d) for d in (await uow.session.scalars(stmt)).all()]
    record(
        uow,
        actor,
        AuditAction.READ,
        "District",
        operation="list",
        districtIds=[str(d.id) for d in views],
    )
    await uow.commit()
    return views


@service
async def list_schools(*, uow: UnitOfWork, actor: Actor) -> list[SchoolView]:
    """Live schools: every one for an admin, their own for principals and teachers."""
    stmt = select(School).where(School.deleted_at.is_(None))
    if actor.role is not UserRole.ADMIN:
        stmt = stmt.where(School.id == actor.school_id)
    schools = (await uow.session.scalars(stmt.order_by(name_order(School), School.code))).all()
    views = [SchoolView.of(s) for s in schools]
    record(
        uow,
        actor,
        AuditAction.READ,
        "School",
        operation="list",
        schoolIds=[str(s.id) for s in views],
    )
    await uow.commit()
    return views
