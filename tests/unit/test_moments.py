"""Times in lists of analyses: the school's clock, to the second only where two share a minute."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.lookups import moments


def test_a_time_reads_on_the_schools_clock_to_the_minute() -> None:
    winter = datetime(2026, 12, 1, 7, 5, 42, tzinfo=UTC)  # Israel is UTC+2 in December
    summer = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # ...and UTC+3 in June: the next day
    assert moments([winter, summer]) == ["2026-12-01 09:05", "2026-06-02 00:30"]


def test_two_in_one_minute_read_to_the_second_and_the_others_do_not() -> None:
    times = [
        datetime(2026, 12, 1, 12, 40, 20, tzinfo=UTC),
        datetime(2026, 12, 1, 12, 40, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 7, 5, 0, tzinfo=UTC),
    ]
    assert moments(times) == ["2026-12-01 14:40:20", "2026-12-01 14:40:00", "2026-12-01 09:05"]
