"""Reading the audit trail: by user, since a date (a student's log is in `records`).

Every query is admin-only, newest first, a page at a time, and itself audited: reading the
trail is an access like any other. Dates are UTC days.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal, select, tuple_, union
from sqlalchemy.orm import aliased

from core.actor import Actor
from core.audit import record, service
from core.db import AnySelect
from core.errors import InvalidInput
from core.models import AuditAction, AuditLog, User
from core.periods import SCHOOL_TZ
from core.policy import require_admin
from core.services.people import normalize_email
from core.uow import UnitOfWork

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
# Metadata worth showing about one access; id lists (studentIds, userIds...) are left out
# because they would disclose other people to whoever reads one person's log.
SHOWN_METADATA = ("operation", "denied", "failed", "reason", "error", "service", "kind")


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as a reader sees it: who, when, what, through which channel, outcome."""

    id: uuid.UUID
    at: datetime
    user_id: str | None
    user_email: str | None
    user_role: str | None
    action: str
    resource: str
    resource_id: str | None
    channel: dict[str, str]
    changed_fields: tuple[str, ...]
    details: dict[str, Any]

    @property
    def outcome(self) -> str:
        """`denied`, `failed` or `ok`."""
        if self.details.get("denied"):
            return "denied"
        return "failed" if self.details.get("failed") else "ok"

    @property
    def platform(self) -> str:
        """The channel's platform (SLACK, TELEGRAM, SHELL, CLI), or '' when unrecorded."""
        return self.channel.get("platform", "")

    @classmethod
    def of(cls, row: AuditLog | Row[Any]) -> AuditEntry:
        """From a loaded row (or a Core row, metadata labelled `metadata_`), keeping only
        metadata that describes this access."""
        meta = row.metadata_ or {}
        channel = meta.get("channel")
        return cls(
            row.id,
            row.created_at,
            row.user_id,
            row.user_email,
            row.user_role,
            str(row.action),
            row.resource,
            row.resource_id,
            dict(channel) if isinstance(channel, dict) else {},
            tuple(meta.get("changedFields") or ()),
            {k: meta[k] for k in SHOWN_METADATA if meta.get(k) is not None},
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (camelCase, ISO times)."""
        return {
            "id": str(self.id),
            "at": self.at.isoformat(),
            "userId": self.user_id,
            "userEmail": self.user_email,
            "userRole": self.user_role,
            "action": self.action,
            "resource": self.resource,
            "resourceId": self.resource_id,
            "channel": self.channel,
            "changedFields": list(self.changed_fields),
            "outcome": self.outcome,
            **self.details,
        }


@dataclass(frozen=True)
class AuditPage:
    """Entries newest first; `next_before` continues with older ones (None: no more)."""

    items: list[AuditEntry]
    next_before: uuid.UUID | None


def parse_cursor(before: str | uuid.UUID | None, limit: int) -> uuid.UUID | None:
    """The id of the last entry already seen, or None; InvalidInput for a bad one or limit."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput("limit", f"1..{MAX_PAGE_SIZE}")
    if before is None or isinstance(before, uuid.UUID):
        return before
    try:
        return uuid.UUID(before.strip())
    except ValueError:
        raise InvalidInput(
            "before", "the id given with the previous page", rule="before_id"
        ) from None


def newest_first(where: ColumnElement[bool], before: uuid.UUID | None, limit: int) -> AnySelect:
    """Matching rows older than entry `before`, newest first, one more than `limit`."""
    # Keyset, not offset: reading the trail appends to it, so page numbers would shift from
    # one page to the next, while the last entry seen stays put.
    stmt = select(AuditLog).where(where)
    if before is not None:
        seen = aliased(AuditLog)
        at = select(seen.created_at).where(seen.id == before).scalar_subquery()
        stmt = stmt.where(tuple_(AuditLog.created_at, AuditLog.id) < tuple_(at, literal(before)))
    order = (AuditLog.created_at.desc(), AuditLog.id.desc())
    return stmt.order_by(*order).limit(limit + 1)


def newest_first_of_few(
    where: ColumnElement[bool], before: uuid.UUID | None, limit: int
) -> AnySelect:
    """`newest_first` for a condition few rows of the whole trail match (one student's).

    Every matching row is read from the condition's own indexes, then the page is cut from
    them. Asked for newest first, the planner walked the trail backwards by time and filtered
    (Year 3: more than 30 s, past the statement timeout, for a student whose 51st newest row
    lay months back); a student's rows number hundreds a year, the trail millions a month. The
    subquery's OFFSET 0 keeps it from doing that.
    """
    matching = newest_first(where, before, limit).order_by(None).limit(None).offset(0)
    row = aliased(AuditLog, matching.subquery("matching"))
    return select(row).order_by(row.created_at.desc(), row.id.desc()).limit(limit + 1)


def newest_first_of_either(
    wheres: Sequence[ColumnElement[bool]], before: uuid.UUID | None, limit: int
) -> AnySelect:
    """`newest_first` of rows matching any of `wheres`, each read from its own index.

    An OR of conditions on two columns cannot be read newest first from one index: the plan
    walks the whole trail by time and filters (MVP: 437,000 rows read for a page of 21). Each
    condition's newest page comes from its (column, created_at) index; the union of those few
    keys is the page.
    """
    if len(wheres) == 1:
        return newest_first(wheres[0], before, limit)
    order = (AuditLog.created_at.desc(), AuditLog.id.desc())
    keys = union(
        *[
            newest_first(where, before, limit).with_only_columns(AuditLog.id, AuditLog.created_at)
            for where in wheres
        ]
    ).subquery("keys")
    return (
        select(AuditLog)
        .join(keys, and_(AuditLog.id == keys.c.id, AuditLog.created_at == keys.c.created_at))
        .order_by(*order)
        .limit(limit + 1)
    )


def to_page(rows: Sequence[AuditLog], limit: int) -> AuditPage:
    """The fetched rows (one more than `limit` when more follow) as a page."""
    items = [AuditEntry.of(r) for r in rows[:limit]]
    return AuditPage(items, items[-1].id if len(rows) > limit else None)


def audited_page(
    uow: UnitOfWork,
    actor: Actor,
    rows: Sequence[AuditLog],
    before: uuid.UUID | None,
    limit: int,
    resource_id: uuid.UUID | None = None,
    *,
    student_ids: list[uuid.UUID] | None = None,
    **details: str,
) -> AuditPage:
    """Rows `newest_first` fetched as a page, the reading of the trail audited (no commit)."""
    page = to_page(rows, limit)
    record(
        uow,
        actor,
        AuditAction.READ,
        "AuditLog",
        resource_id,
        student_ids=student_ids,
        **details,
        before=None if before is None else str(before),
        rowCount=len(page.items),
    )
    return page


# Days named as people name them, by how many days back from today (the school's calendar).
RELATIVE_DAYS = {"today": 0, "היום": 0, "yesterday": 1, "אתמול": 1, "שלשום": 2}


def parse_day(value: str | date, field: str = "date") -> date:
    """A YYYY-MM-DD day, today or yesterday (in English or Hebrew), else InvalidInput."""
    if isinstance(value, date):
        return value
    back = RELATIVE_DAYS.get(value.strip().lower())
    if back is not None:
        return datetime.now(SCHOOL_TZ).date() - timedelta(days=back)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            field,
            f"not a date: {value.strip()!r}; use YYYY-MM-DD, today or yesterday",
            rule="date_format",
            values={"value": value.strip()},
        ) from None


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@service
async def audit_by_user(
    *,
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    before: str | uuid.UUID | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """What one user did: rows under their account or (once anonymised) their old address."""
    require_admin(actor, resource="AuditLog")
    cursor = parse_cursor(before, limit)
    address = normalize_email(email)
    user_id = await uow.session.scalar(select(User.id).where(func.lower(User.email) == address))
    wheres = [func.lower(AuditLog.user_email) == address]
    if user_id is not None:
        wheres.append(AuditLog.user_id == str(user_id))
    rows = (await uow.session.scalars(newest_first_of_either(wheres, cursor, limit))).all()
    page = audited_page(uow, actor, rows, cursor, limit, user_id, operation="byUser", email=address)
    await uow.commit()
    return page


@service
async def audit_since(
    *,
    uow: UnitOfWork,
    actor: Actor,
    since: str | date,
    before: str | uuid.UUID | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """Every access from the start of `since` (a UTC day) onwards, newest first."""
    require_admin(actor, resource="AuditLog")
    cursor = parse_cursor(before, limit)
    day = parse_day(since)
    where = AuditLog.created_at >= day_start(day)
    rows = (await uow.session.scalars(newest_first(where, cursor, limit))).all()
    page = audited_page(uow, actor, rows, cursor, limit, operation="since", since=day.isoformat())
    await uow.commit()
    return page
