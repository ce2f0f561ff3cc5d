"""Every use case is audited: registered by `@service`, enforced at run time and at commit."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import core.services
from core.actor import Actor, system_actor
from core.audit import SERVICES, record, service
from core.errors import AuditMissing
from core.models import AuditAction, School, Student
from core.uow import UnitOfWork
from tests.service_fixtures import seeding


def _service_modules() -> list[ModuleType]:
    prefix = core.services.__name__ + "."
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(core.services.__path__, prefix)
    ]


def _public_coroutines() -> list[tuple[str, Callable[..., Awaitable[Any]]]]:
    found = []
    for module in _service_modules():
        for name, obj in vars(module).items():
            if (
                not name.startswith("_")
                and inspect.iscoroutinefunction(obj)
                and obj.__module__ == module.__name__
            ):
                found.append((f"{module.__name__}.{obj.__qualname__}", obj))
    return sorted(found, key=lambda item: item[0])


PUBLIC_COROUTINES = _public_coroutines()


def test_the_walk_finds_the_known_services() -> None:
    names = {name for name, _ in PUBLIC_COROUTINES}
    assert {
        "core.services.students.get_student",
        "core.services.students.find_students",
        "core.services.classes.class_roster",
    } <= names


@pytest.mark.parametrize(
    ("name", "fn"), PUBLIC_COROUTINES, ids=[name for name, _ in PUBLIC_COROUTINES]
)
def test_public_coroutine_in_core_services_is_an_audited_service(
    name: str, fn: Callable[..., Awaitable[Any]]
) -> None:
    assert SERVICES.get(name) is fn, f"{name} is not decorated with @service"
    assert getattr(fn, "__audited__", False)


@service
async def _reads_without_auditing(*, uow: UnitOfWork, actor: Actor) -> int:
    """A deliberately unaudited use case."""
    return len((await uow.session.scalars(select(Student.id))).all())


@service
async def _audits_without_committing(*, uow: UnitOfWork, actor: Actor) -> None:
    """Writes its audit row but forgets to commit it."""
    record(uow, actor, AuditAction.READ, "Student")


@service
async def _audits_properly(*, uow: UnitOfWork, actor: Actor) -> str:
    """The positive control."""
    record(uow, actor, AuditAction.READ, "Student", student_ids=[])
    await uow.commit()
    return "ok"


async def test_service_that_writes_no_audit_row_raises_audit_missing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with seeding(session_factory) as uow:
        with pytest.raises(AuditMissing, match="wrote no audit row"):
            await _reads_without_auditing(uow=uow, actor=system_actor())


async def test_service_that_never_commits_its_audit_row_raises_audit_missing(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with seeding(session_factory) as uow:
        with pytest.raises(AuditMissing, match="never committed"):
            await _audits_without_committing(uow=uow, actor=system_actor())
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == 0


async def test_service_that_audits_and_commits_runs_normally(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with seeding(session_factory) as uow:
        assert await _audits_properly(uow=uow, actor=system_actor()) == "ok"
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == 1


def test_service_decorator_refuses_a_use_case_without_keyword_only_uow_and_actor() -> None:
    async def positional(uow: UnitOfWork, actor: Actor) -> None:
        """Takes uow and actor positionally."""

    async def no_actor(*, uow: UnitOfWork) -> None:
        """Has no actor."""

    for fn in (positional, no_actor):
        with pytest.raises(TypeError, match="keyword-only"):
            service(fn)


async def _school(session_factory: async_sessionmaker[AsyncSession]) -> Any:
    async with seeding(session_factory) as uow:
        school = School(name="בית ספר", code="GUARD")
        uow.session.add(school)
        await uow.commit()  # schools are not student data: no audit row needed
        return school.id


async def test_unit_of_work_refuses_to_commit_a_student_without_an_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    school_id = await _school(session_factory)
    async with seeding(session_factory) as uow:
        uow.session.add(
            Student(first_name="דן", last_name="כהן", grade_level="3", school_id=school_id)
        )
        with pytest.raises(AuditMissing):
            await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM students") == 0


async def test_unit_of_work_refuses_a_core_insert_of_a_student_without_an_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    school_id = await _school(session_factory)
    async with seeding(session_factory) as uow:
        await uow.session.execute(
            insert(Student).values(
                first_name="דן", last_name="כהן", grade_level="3", school_id=school_id
            )
        )
        with pytest.raises(AuditMissing):
            await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM students") == 0


async def test_unit_of_work_commits_a_student_insert_that_carries_an_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    school_id = await _school(session_factory)
    async with seeding(session_factory) as uow:
        student = Student(first_name="דן", last_name="כהן", grade_level="3", school_id=school_id)
        uow.session.add(student)
        await uow.session.flush()
        record(uow, system_actor(), AuditAction.CREATE, "Student", student.id)
        await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM students") == 1
    assert await raw.fetchval("SELECT count(*) FROM audit_logs WHERE action = 'CREATE'") == 1


async def test_single_statement_unit_refuses_a_student_insert_before_it_runs(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    school_id = await _school(session_factory)
    async with UnitOfWork(session_factory) as uow:
        await uow.single_statement()
        with pytest.raises(AuditMissing, match="single-statement"):
            await uow.session.execute(
                insert(Student).values(
                    first_name="דן", last_name="כהן", grade_level="3", school_id=school_id
                )
            )
    assert await raw.fetchval("SELECT count(*) FROM students") == 0


async def test_single_statement_unit_refuses_an_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with UnitOfWork(session_factory) as uow:
        await uow.single_statement()
        await uow.session.execute(select(School.id))
        record(uow, system_actor(), AuditAction.READ, "School", None)
        with pytest.raises(AuditMissing, match="single-statement"):
            await uow.commit()
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == 0


async def test_single_statement_unit_commits_its_statement_with_no_transaction(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    async with UnitOfWork(session_factory) as uow:
        await uow.single_statement()
        await uow.session.execute(insert(School).values(name="בית ספר", code="ONE-STATEMENT"))
        # Not committed through the unit, yet stored: the statement was its own transaction.
        assert await raw.fetchval("SELECT count(*) FROM schools WHERE code = 'ONE-STATEMENT'") == 1
