"""Soft delete and restore of students, classes, users and analyses (admin only, never DELETE)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select

from core.actor import Actor
from core.audit import record, service
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.models import Analysis, AuditAction, Class, Student, User
from core.policy import require_admin
from core.text import nfc
from core.uow import UnitOfWork

Kind = Literal["student", "class", "user", "analysis"]
MODELS: dict[str, tuple[type[Any], str]] = {
    "student": (Student, "Student"),
    "class": (Class, "Class"),
    "user": (User, "User"),
    "analysis": (Analysis, "Analysis"),
}
MAX_REASON = 500


@dataclass(frozen=True)
class LifecycleChange:
    """The record's state after the change: `deleted_at` is None once restored."""

    kind: str
    id: uuid.UUID
    deleted_at: datetime | None


def _model(kind: str) -> tuple[type[Any], str]:
    if kind not in MODELS:
        raise InvalidInput("kind", f"unknown kind {kind!r}; allowed: {', '.join(MODELS)}")
    return MODELS[kind]


def _reason(reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    value = nfc(reason.strip())
    if len(value) > MAX_REASON:
        raise InvalidInput("reason", f"at most {MAX_REASON} characters")
    return value


async def _locked(uow: UnitOfWork, model: type[Any], resource: str, id: uuid.UUID) -> Any:
    # Row lock: two admins deleting (or restoring) at once get one success and one Conflict.
    row = await uow.session.scalar(select(model).where(model.id == id).with_for_update())
    if row is None:
        raise NotFound(resource, str(id))
    return row


def _student_ids(row: Any) -> list[uuid.UUID] | None:
    """The children a change concerns, for the audit trail (None: no student involved)."""
    if isinstance(row, Student):
        return [row.id]
    if isinstance(row, Analysis):
        return [row.student_id]
    return None


async def _set_deleted(uow: UnitOfWork, row: Any, deleted: bool) -> None:
    # Database time, like created_at and updated_at, so the three are comparable.
    row.deleted_at = func.now() if deleted else None
    await uow.session.flush()
    await uow.session.refresh(row, ["deleted_at", "updated_at"])


@service
async def soft_delete(
    *, uow: UnitOfWork, actor: Actor, kind: Kind, id: uuid.UUID, reason: str | None = None
) -> LifecycleChange:
    """Mark a record deleted (admin only; not oneself); it vanishes from every non-admin view."""
    model, resource = _model(kind)
    require_admin(actor, resource=resource)
    why = _reason(reason)
    if kind == "user" and id == actor.user_id:
        raise AccessDenied("cannot_delete_self", resource=resource, resource_id=str(id))
    row = await _locked(uow, model, resource, id)
    if row.deleted_at is not None:
        raise Conflict(f"{resource} {id} is already deleted")
    await _set_deleted(uow, row, True)
    record(
        uow,
        actor,
        AuditAction.DELETE,
        resource,
        row.id,
        student_ids=_student_ids(row),
        changed_fields=["deleted_at"],
        reason=why,
    )
    await uow.commit()
    return LifecycleChange(kind, row.id, row.deleted_at)


@service
async def restore(
    *, uow: UnitOfWork, actor: Actor, kind: Kind, id: uuid.UUID, reason: str | None = None
) -> LifecycleChange:
    """Bring a soft-deleted record back (admin only); restoring a live one is a Conflict."""
    model, resource = _model(kind)
    require_admin(actor, resource=resource)
    why = _reason(reason)
    row = await _locked(uow, model, resource, id)
    if row.deleted_at is None:
        raise Conflict(f"{resource} {id} is not deleted")
    await _set_deleted(uow, row, False)
    record(
        uow,
        actor,
        AuditAction.UPDATE,
        resource,
        row.id,
        student_ids=_student_ids(row),
        changed_fields=["deleted_at"],
        reason=why,
        operation="restore",
    )
    await uow.commit()
    return LifecycleChange(kind, row.id, None)
