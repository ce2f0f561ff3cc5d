"""Monthly analysis quotas: school settings override district settings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import QuotaExceeded
from core.models import District, School


def monthly_limit(school_settings: Any, district_settings: Any) -> int | None:
    """`{"analysisQuota": {"monthly": N}}` from the school, else the district, else no limit."""
    for settings in (school_settings, district_settings):
        if isinstance(settings, dict):
            quota = settings.get("analysisQuota")
            if isinstance(quota, dict) and isinstance(quota.get("monthly"), int):
                return int(quota["monthly"])
    return None


def month_bounds(now: datetime) -> tuple[datetime, date]:
    """Start of `now`'s month and the first day of the next one (when the quota resets)."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    resets = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, resets


async def ensure_quota(session: AsyncSession, school_id: uuid.UUID, now: datetime) -> None:
    """Raise QuotaExceeded when the school has used its monthly analyses."""
    # Row lock: two teachers starting at once cannot both take the last analysis of the month.
    school = await session.get(School, school_id, with_for_update=True)
    assert school is not None
    district = await session.get(District, school.district_id) if school.district_id else None
    limit = monthly_limit(school.settings, district.settings if district else None)
    if limit is None:
        return
    start, resets = month_bounds(now)
    # Counted by the database past row-level security (a teacher sees only their own rows,
    # but the quota is the whole school's); migration 0007 defines the function.
    used = await session.scalar(
        select(
            func.ge_school_analyses_between(
                school_id, start, datetime(resets.year, resets.month, 1, tzinfo=UTC)
            )
        )
    )
    if (used or 0) >= limit:
        raise QuotaExceeded(limit, resets.isoformat())
