"""Monthly analysis quotas per school (set, and shown with what each school used), and usage
(analyses, tokens, cost) by school and teacher.

Usage counts every analysis created in the month, failed and deleted ones included: the tokens
were spent all the same, and `core.quota` counts them the same way. An analysis belongs to its
student's school, as for the quota.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Float, cast, func, select

from core.actor import Actor
from core.audit import record, service
from core.audit_partitions import add_months
from core.errors import InvalidInput, NotFound
from core.models import Analysis, AuditAction, District, School, Student, User
from core.ordering import hebrew_order, name_order
from core.periods import KEYWORDS
from core.policy import require_admin
from core.quota import month_bounds, monthly_limit
from core.text import nfc
from core.uow import UnitOfWork

MAX_QUOTA = 1_000_000
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True)
class QuotaChange:
    """A school's monthly analysis limit before and after (None: no limit of its own)."""

    school_code: str
    school_name: str
    previous: int | None
    monthly: int | None


@dataclass(frozen=True)
class QuotaRow:
    """A school's limit this month (its own, else its district's; None: none) and its use."""

    school_code: str
    school_name: str
    limit: int | None
    own: bool
    used: int


@dataclass(frozen=True)
class Quotas:
    """Every school's quota in a month (`YYYY-MM`) and the day the counts start again."""

    month: str
    resets: date
    rows: list[QuotaRow]


@dataclass(frozen=True)
class UsageRow:
    """One teacher's analyses in one school during the month."""

    school_code: str
    school_name: str
    teacher_email: str
    teacher_name: str
    analyses: int
    tokens: int
    cost: float


@dataclass(frozen=True)
class UsageReport:
    """Usage in a month (`YYYY-MM`), rows ordered by school then teacher."""

    month: str
    rows: list[UsageRow]

    def by_school(self) -> dict[str, tuple[int, int, float]]:
        """Totals (analyses, tokens, cost) per school code, in row order."""
        totals: dict[str, tuple[int, int, float]] = {}
        for r in self.rows:
            a, t, c = totals.get(r.school_code, (0, 0, 0.0))
            totals[r.school_code] = (a + r.analyses, t + r.tokens, c + r.cost)
        return totals

    @property
    def total(self) -> tuple[int, int, float]:
        """Totals over every school."""
        return (
            sum(r.analyses for r in self.rows),
            sum(r.tokens for r in self.rows),
            sum(r.cost for r in self.rows),
        )


def parse_month(month: str | None, now: datetime | None = None) -> date:
    """The first day of `YYYY-MM`, or of the current UTC month when None or `this-month`; of
    the month before it for `last-month`. Other periods are refused: usage is by month."""
    shown = (month or "").strip()
    said = shown.lower()
    if said in ("", "this-month", "last-month"):
        start, _ = month_bounds(now or datetime.now(UTC))
        first = start.date()
        return add_months(first, -1) if said == "last-month" else first
    if said in KEYWORDS:  # "this-week", "last-term": usage is counted by calendar month
        raise InvalidInput(
            "month",
            f"usage is counted by calendar month: use this-month, last-month or YYYY-MM, "
            f"not {said!r}",
            rule="month_period",
            values={"value": said},
        )
    match = MONTH.fullmatch(said)
    if not match or not 1 <= int(match[2]) <= 12:
        raise InvalidInput(
            "month",
            f"not a month: {shown!r}; use YYYY-MM",
            rule="month_format",
            values={"value": shown},
        )
    return date(int(match[1]), int(match[2]), 1)


@service
async def set_quota(
    *, uow: UnitOfWork, actor: Actor, school_code: str, monthly: int | None
) -> QuotaChange:
    """Set (or with None remove) a school's monthly analysis quota (admin only)."""
    require_admin(actor, resource="School")
    if monthly is not None and not 0 <= monthly <= MAX_QUOTA:
        raise InvalidInput(
            "quota",
            f"a whole number of analyses from 0 to {MAX_QUOTA}",
            rule="quota_range",
            values={"max": MAX_QUOTA},
        )
    # Row lock: the same lock `ensure_quota` takes, so a limit never changes mid-check.
    school = await uow.session.scalar(
        select(School)
        .where(School.code == nfc(school_code.strip()), School.deleted_at.is_(None))
        .with_for_update()
    )
    if school is None:
        raise NotFound("School", school_code.strip())
    settings = dict(school.settings or {})
    previous = monthly_limit(settings, None)
    quota = dict(settings.get("analysisQuota") or {})
    if monthly is None:
        quota.pop("monthly", None)
    else:
        quota["monthly"] = monthly
    settings["analysisQuota"] = quota
    school.settings = settings  # a new dict: in-place edits of JSONB go unnoticed by the ORM
    record(
        uow,
        actor,
        AuditAction.UPDATE,
        "School",
        school.id,
        changed_fields=["settings.analysisQuota.monthly"],
        previous=previous,
        monthly=monthly,
    )
    await uow.commit()
    return QuotaChange(school.code, school.name, previous, monthly)


@service
async def list_quotas(
    *, uow: UnitOfWork, actor: Actor, school_code: str | None = None, now: datetime | None = None
) -> Quotas:
    """Each school's monthly limit and the analyses it used this month (admin only)."""
    require_admin(actor, resource="School")
    start, resets = month_bounds(now or datetime.now(UTC))
    end = datetime(resets.year, resets.month, 1, tzinfo=UTC)
    # Counted as the quota counts them (core.quota: the database's own function).
    used = func.ge_school_analyses_between(School.id, start, end)
    stmt = (
        select(School.code, School.name, School.settings, District.settings, used)
        .outerjoin(District, District.id == School.district_id)
        .where(School.deleted_at.is_(None))
        .order_by(name_order(School), School.code)
    )
    if school_code is not None:
        stmt = stmt.where(School.code == nfc(school_code.strip()))
    rows = [
        QuotaRow(code, name, monthly_limit(own, district), monthly_limit(own, None) is not None,
                 int(n or 0))
        for code, name, own, district, n in await uow.session.execute(stmt)
    ]  # fmt: skip
    if school_code is not None and not rows:
        raise NotFound("School", school_code.strip())
    record(
        uow,
        actor,
        AuditAction.READ,
        "School",
        operation="quotas",
        schoolCodes=[r.school_code for r in rows],
    )
    await uow.commit()
    return Quotas(start.strftime("%Y-%m"), resets, rows)


@service
async def usage_report(*, uow: UnitOfWork, actor: Actor, month: str | None = None) -> UsageReport:
    """Analyses, tokens and estimated cost per school and teacher in a month (admin only)."""
    require_admin(actor, resource="Usage")
    first = parse_month(month)
    start, resets = month_bounds(datetime(first.year, first.month, 1, tzinfo=UTC))
    end = datetime(resets.year, resets.month, 1, tzinfo=UTC)
    stmt = (
        select(
            School.code,
            School.name,
            User.email,
            User.first_name,
            User.last_name,
            func.count(Analysis.id),
            func.coalesce(func.sum(Analysis.total_tokens), 0),
            func.coalesce(func.sum(Analysis.estimated_cost), cast(0, Float)),
        )
        .join(Student, Student.id == Analysis.student_id)
        .join(School, School.id == Student.school_id)
        .join(User, User.id == Analysis.teacher_id)
        .where(Analysis.created_at >= start, Analysis.created_at < end)
        .group_by(School.id, User.id)
        .order_by(name_order(School), School.code, *hebrew_order(User))
    )
    rows = [
        UsageRow(code, name, email, f"{fn} {ln}", int(n or 0), int(tokens or 0), float(cost or 0))
        for code, name, email, fn, ln, n, tokens, cost in await uow.session.execute(stmt)
    ]
    report = UsageReport(first.strftime("%Y-%m"), rows)
    record(
        uow,
        actor,
        AuditAction.READ,
        "Usage",
        operation="monthly",
        month=report.month,
        schoolCodes=sorted({r.school_code for r in rows}),
    )
    await uow.commit()
    return report
