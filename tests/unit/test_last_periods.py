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
