"""Names and dates of audit_logs' monthly partitions, and which ones serve needs but lacks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput

REQUIRED_AHEAD = 1


def parse_month(value: str | date, field: str = "month") -> date:
    """A YYYY-MM month as its first day, else InvalidInput(field, ...)."""
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        return datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidInput(
            field,
            f"not a month: {value.strip()!r}; use YYYY-MM",
            rule="month_format",
            values={"value": value.strip()},
        ) from None


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    """The partition holding `month`'s rows (as `ge_audit_partition` names it)."""
    return f"audit_logs_{month:%Y_%m}"


def month_start(month: date) -> datetime:
    """Midnight UTC on the month's first day."""
    return datetime(month.year, month.month, 1, tzinfo=UTC)


async def utc_now(session: AsyncSession) -> datetime:
    """The transaction's now(), in UTC."""
    now: datetime | None = await session.scalar(select(func.now()))
    assert now is not None
    return now.astimezone(UTC)


async def missing_partitions(session: AsyncSession) -> list[str]:
    """This month's and the next REQUIRED_AHEAD months' partitions that do not exist."""
    this = (await utc_now(session)).date().replace(day=1)
    names = [partition_name(add_months(this, n)) for n in range(REQUIRED_AHEAD + 1)]
    query = text(
        "SELECT name FROM unnest(CAST(:names AS text[])) name "
        "WHERE to_regclass('public.' || name) IS NULL"
    )
    found = await session.execute(query, {"names": names})
    return [row[0] for row in found]
