"""Roster import: a whole CSV of students, classes or enrollments, validated, then upserted.

Every row is checked (file rules in `core.roster_csv`, then against the school by the writers
in `core.roster_writes`) before anything is written; any problem rejects the whole file.
Writes go in chunks inside one transaction committed once, with one audit row per import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select

from core.actor import Actor
from core.audit import record, service
from core.errors import NotFound
from core.models import AuditAction, School
from core.policy import require_admin
from core.roster_csv import Kind, parse_roster
from core.roster_writes import WRITERS, Progress, Written
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ImportReport:
    """What one import did: rows read, and how many records were created, updated, unchanged."""

    school_code: str
    kind: Kind
    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int
    changed_fields: tuple[str, ...]

    def summary(self) -> str:
        """One line for a terminal or a chat message."""
        return (
            f"{self.kind} for {self.school_code}: {self.rows} rows ({self.encoding}): "
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )


@service
async def import_roster(
    *,
    uow: UnitOfWork,
    actor: Actor,
    school_code: str,
    kind: Kind,
    data: bytes,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a whole roster CSV into a school (admins only); RosterRejected imports nothing."""
    require_admin(actor, resource="Roster")
    school = await uow.session.scalar(
        select(School).where(School.code == school_code, School.deleted_at.is_(None))
    )
    if school is None:
        raise NotFound("School", school_code)
    roster = parse_roster(data, kind)
    write = cast(Callable[..., Any], WRITERS[kind])
    out: Written = await write(uow, school.id, roster.rows, progress or (lambda n: None))
    unchanged = len(roster.rows) - len(out.created) - len(out.updated)
    record(
        uow,
        actor,
        AuditAction.CREATE if out.created else AuditAction.UPDATE,
        "Roster",
        school.id,
        student_ids=out.student_ids,
        changed_fields=out.changed_fields or None,
        kind=kind,
        schoolCode=school.code,
        encoding=roster.encoding,
        rows=len(roster.rows),
        created=len(out.created),
        updated=len(out.updated),
        unchanged=unchanged,
        **out.extra,
    )
    await uow.commit()
    return ImportReport(
        school.code,
        kind,
        roster.encoding,
        len(roster.rows),
        len(out.created),
        len(out.updated),
        unchanged,
        tuple(sorted(out.changed_fields)),
    )
