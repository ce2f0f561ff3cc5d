"""Reporting periods: this-week, this-month, this-term, this-year, the last of each, or FROM..TO,
on the Israeli school calendar.

The school year starts on September 1. Terms follow the Israeli calendar: the first term runs
September to January, the second February to June; in July and August (the summer break)
"this-term" means the second term that has just ended. A week runs Sunday to Saturday, as the
Israeli school week does (Sunday is its first day); "last-week" is the one before this one.
"last-month" is the calendar month before this one, "last-year" the school year before,
"last-term" the term before this-term.
Boundaries are midnights in Israel (Asia/Jerusalem); a period is half-open, [start, end).
FROM..TO takes ISO dates (YYYY-MM-DD) and includes both days. A word that is plainly meant as a
period but is none of these (next-week, 2026-10, החודש) is an UnknownPeriod, never read as a
name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import UnknownPeriod

SCHOOL_TZ = ZoneInfo("Asia/Jerusalem")
KEYWORDS = (
    "this-week", "this-month", "this-term", "this-year",
    "last-week", "last-month", "last-term", "last-year",
)  # fmt: skip
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
# Words people write for periods we do not offer; they get a period error, not "no such school".
PERIODISH = re.compile(
    r"^(this|last|next|past|previous|current)([-_ ]\w+|(day|week|month|term|semester|year)s?)$"
    r"|^(today|yesterday|tomorrow|week|month|term|semester|quarter|year)$"
    r"|^\d{4}-\d{1,2}(-\d{1,2})?$|^\d{1,2}[/.]\d{1,2}([/.]\d{2,4})?$"
    r"|^ה?(יום|שבוע|חודש|שנה|מחצית|סמסטר|רבעון)([-_]\S+)?$|^(היום|אתמול|מחר)$"
)


@dataclass(frozen=True)
class Period:
    """A half-open interval of local school days, [first, last + 1 day)."""

    label: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """Midnight in Israel at the start of the first day."""
        return datetime.combine(self.first, time(), SCHOOL_TZ)

    @property
    def end(self) -> datetime:
        """Midnight in Israel after the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), SCHOOL_TZ)

    def describe(self) -> str:
        """`label (YYYY-MM-DD..YYYY-MM-DD)`, or just the range for explicit dates."""
        span = f"{self.first.isoformat()}..{self.last.isoformat()}"
        return span if self.label == span else f"{self.label} ({span})"


def looks_like_period(token: str) -> bool:
    """True when `token` is meant as a period: a keyword, a range, or a period-like word."""
    token = token.lower()
    return token in KEYWORDS or ".." in token or PERIODISH.match(token) is not None


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def school_year_start(day: date) -> date:
    """September 1 of the school year that `day` belongs to."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def _term(token: str, day: date) -> Period:
    """The term `day` falls in (in July and August, the second term just ended)."""
    if day.month >= 9:
        return Period(token, date(day.year, 9, 1), date(day.year + 1, 1, 31))
    if day.month == 1:
        return Period(token, date(day.year - 1, 9, 1), date(day.year, 1, 31))
    return Period(token, date(day.year, 2, 1), date(day.year, 6, 30))


def _week(token: str, day: date) -> Period:
    """Sunday to Saturday around `day` (Python's weekday: Monday 0 .. Sunday 6)."""
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    return Period(token, sunday, sunday + timedelta(days=6))


def _last(token: str, today: date) -> Period:
    """The week, month, term or school year before the current one."""
    if token == "last-week":
        return _week(token, today - timedelta(days=7))
    if token == "last-month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(token, last.replace(day=1), last)
    if token == "last-year":
        first = school_year_start(today)
        return Period(token, date(first.year - 1, 9, 1), date(first.year, 8, 31))
    current = _term(token, today)
    return _term(token, current.first - timedelta(days=1))


def parse_period(text: str, *, now: datetime) -> Period:
    """The period `text` names, relative to `now` (any time zone; read in Israeli time)."""
    token = text.strip().lower()
    today = now.astimezone(SCHOOL_TZ).date()
    if token in ("last-week", "last-month", "last-term", "last-year"):
        return _last(token, today)
    if token == "this-week":
        return _week(token, today)
    if token == "this-month":
        return Period(token, today.replace(day=1), _month_end(today.year, today.month))
    if token == "this-year":
        first = school_year_start(today)
        return Period(token, first, date(first.year + 1, 8, 31))
    if token == "this-term":
        return _term(token, today)
    match = RANGE.match(token)
    if match is None:
        raise UnknownPeriod(
            text, f"“{text}” is not one of {', '.join(KEYWORDS)} or YYYY-MM-DD..YYYY-MM-DD"
        )
    try:
        first, last = (date.fromisoformat(part) for part in match.groups())
    except ValueError:
        raise UnknownPeriod(text, f"“{text}” holds a date that does not exist") from None
    if last < first:
        raise UnknownPeriod(text, f"“{text}” ends before it starts")
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last)
