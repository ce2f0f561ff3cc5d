"""Usage is by calendar month: `this-month` and `last-month` name one, other periods do not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import InvalidInput
from core.services.admin_usage import parse_month

NOW = datetime(2027, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "first"),
    [(None, date(2027, 1, 1)), ("this-month", date(2027, 1, 1)),
     ("last-month", date(2026, 12, 1)), ("2026-11", date(2026, 11, 1))],
)  # fmt: skip
def test_month_words_name_a_calendar_month(said: str | None, first: date) -> None:
    assert parse_month(said, NOW) == first


def test_a_period_that_is_no_month_is_refused_naming_what_is_accepted() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_month("this-term", NOW)
    assert raised.value.rule == "month_period"
