"""The last month, term and school year are the ones before the current, on the school calendar."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.periods import SCHOOL_TZ, parse_period


@pytest.mark.parametrize(
    ("keyword", "today", "first", "last"),
    [
        ("last-month", date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30)),
        ("last-month", date(2026, 1, 15), date(2025, 12, 1), date(2025, 12, 31)),
        ("last-term", date(2026, 12, 1), date(2026, 2, 1), date(2026, 6, 30)),
        ("last-term", date(2026, 1, 31), date(2025, 2, 1), date(2025, 6, 30)),
        ("last-term", date(2026, 3, 10), date(2025, 9, 1), date(2026, 1, 31)),
        ("last-term", date(2026, 7, 15), date(2025, 9, 1), date(2026, 1, 31)),  # summer break
        ("last-year", date(2026, 12, 1), date(2025, 9, 1), date(2026, 8, 31)),
        ("last-year", date(2026, 8, 31), date(2024, 9, 1), date(2025, 8, 31)),
    ],
)
def test_the_last_period_is_the_one_before(
    keyword: str, today: date, first: date, last: date
) -> None:
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=SCHOOL_TZ)
    period = parse_period(keyword, now=noon)
    assert (period.label, period.first, period.last) == (keyword, first, last)


@pytest.mark.parametrize(
    ("keyword", "today", "first", "last"),
    [
        # 2026-11-29 is a Sunday: the school week runs Sunday to Saturday.
        ("this-week", date(2026, 11, 29), date(2026, 11, 29), date(2026, 12, 5)),
        ("this-week", date(2026, 12, 1), date(2026, 11, 29), date(2026, 12, 5)),
        ("this-week", date(2026, 12, 5), date(2026, 11, 29), date(2026, 12, 5)),
        ("this-week", date(2026, 12, 6), date(2026, 12, 6), date(2026, 12, 12)),
        ("last-week", date(2026, 12, 1), date(2026, 11, 22), date(2026, 11, 28)),
        ("last-week", date(2026, 11, 29), date(2026, 11, 22), date(2026, 11, 28)),
        ("last-week", date(2027, 1, 2), date(2026, 12, 20), date(2026, 12, 26)),
    ],
)
def test_a_week_is_sunday_to_saturday(keyword: str, today: date, first: date, last: date) -> None:
    late = datetime(today.year, today.month, today.day, 23, 30, tzinfo=SCHOOL_TZ)
    period = parse_period(keyword, now=late)
    assert (period.label, period.first, period.last) == (keyword, first, last)
