"""Summaries for principals and admins, computed by SQL aggregation over the visible analyses.

Counts are of analyses created in the period (all statuses); tokens and cost too, since every
status was paid for. Themes, average confidence and the student view use COMPLETED analyses
only (the ones a teacher saved), with teacher edits winning section by section (core/themes).
Coverage is the share of active students with at least one COMPLETED analysis in the period,
by grade and by (active) class. Private notes are never selected.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core import planning
from core.actor import Actor
from core.audit import record, service
from core.models import AnalysisStatus, AuditAction, UserRole
from core.periods import Period
from core.policy import require_role
from core.scope_words import Scope
from core.scoped_statements import read_scoped
from core.scopes import ResolvedScope, resolve_scope
from core.sections import SECTIONS
from core.summary_sections import combined, statements
from core.themes import placeholder_keys
from core.uow import UnitOfWork


@dataclass(frozen=True)
class Coverage:
    """Active students of a grade or class, and how many have a completed analysis."""

    label: str
    active: int
    covered: int

    @property
    def share(self) -> float:
        """covered / active (0 for an empty group)."""
        return self.covered / self.active if self.active else 0.0


@dataclass(frozen=True)
class TeacherCount:
    """Analyses one teacher wrote in the scope and period."""

    name: str
    email: str
    total: int
    completed: int


@dataclass(frozen=True)
class Theme:
    """A normalised phrase (shown in its most common wording) and how many analyses hold it."""

    phrase: str
    count: int


@dataclass(frozen=True)
class TrendPoint:
    """One completed analysis of a student, for the trend line."""

    analysis_id: uuid.UUID
    created_at: datetime
    teacher: str
    confidence: float | None
    strengths: int
    weaknesses: int


@dataclass(frozen=True)
class LatestAnalysis:
    """A student's newest completed analysis as the reader sees it (edits applied)."""

    analysis_id: uuid.UUID
    created_at: datetime
    teacher: str
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    recommendations: tuple[str, ...]
    learning_style: str | None
    confidence: float | None
    edited: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """Everything a summary shows; `latest` and `trend` only for a student."""

    scope: Scope
    name: str
    period: Period | None
    statuses: tuple[tuple[str, int], ...]
    cancelled: int  # FAILED ones their teacher cancelled (counted in `statuses` as FAILED)
    flagged: int
    by_grade: tuple[Coverage, ...]
    by_class: tuple[Coverage, ...]
    teachers: tuple[TeacherCount, ...]
    strengths: tuple[Theme, ...]
    weaknesses: tuple[Theme, ...]
    average_confidence: float | None
    tokens: int
    cost: float
    latest: LatestAnalysis | None = None
    trend: tuple[TrendPoint, ...] = ()
    # "class 5" where no class is called "5": the value, and the summary is grade 5's.
    class_read_as_grade: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing in the scope: no active student, class or analysis (e.g. no such grade)."""
        return not self.statuses and not self.by_grade and not self.by_class

    @property
    def total(self) -> int:
        """Analyses of every status."""
        return sum(count for _status, count in self.statuses)

    def count(self, status: AnalysisStatus) -> int:
        """Analyses with `status`."""
        return dict(self.statuses).get(str(status), 0)


def _moment(value: str) -> datetime:
    # JSON carries a timestamp as ISO text in the session's time zone; the driver gives UTC.
    return datetime.fromisoformat(value).astimezone(UTC)


def _latest(row: list[Any] | None) -> LatestAnalysis | None:
    if row is None:
        return None
    edited = tuple(s for s, flag in zip(SECTIONS, row[8:], strict=True) if flag)
    return LatestAnalysis(
        uuid.UUID(row[0]), _moment(row[1]), row[2],
        tuple(map(str, row[3])), tuple(map(str, row[4])), tuple(map(str, row[5])),
        row[6], row[7], edited,
    )  # fmt: skip


def _trend(rows: list[list[Any]]) -> tuple[TrendPoint, ...]:
    return tuple(
        TrendPoint(uuid.UUID(r[0]), _moment(r[1]), r[2], r[3], int(r[4]), int(r[5])) for r in rows
    )


async def _build(
    uow: UnitOfWork, actor: Actor, resolved: ResolvedScope, period: Period | None
) -> Summary:
    keys = await placeholder_keys(uow.session)
    found = await read_scoped(
        uow, "summary", actor, resolved, period,
        lambda acting: combined(statements(acting, resolved, period, keys)),
        {"placeholder_keys": list(keys)},
    )  # fmt: skip
    sections: dict[str, list[Any]] = dict(found)
    totals, themes = sections["totals"], sections["themes"]
    confidence = next((r[5] for r in totals if r[0] == AnalysisStatus.COMPLETED), None)
    return Summary(
        scope=resolved.scope,
        name=resolved.name,
        period=period,
        statuses=tuple(sorted((str(r[0]), int(r[1])) for r in totals)),
        cancelled=sum(int(r[6]) for r in totals),
        flagged=sum(int(r[2]) for r in totals),
        by_grade=tuple(Coverage(*r) for r in sections["by_grade"]),
        by_class=tuple(Coverage(*r) for r in sections["by_class"]),
        teachers=tuple(
            TeacherCount(f"{r[0]} {r[1]}", r[2], r[3], r[4]) for r in sections["teachers"]
        ),
        strengths=tuple(Theme(r[1], r[2]) for r in themes if r[0] == "strengths"),
        weaknesses=tuple(Theme(r[1], r[2]) for r in themes if r[0] == "weaknesses"),
        average_confidence=None if confidence is None else float(confidence),
        tokens=sum(int(r[3]) for r in totals),
        cost=round(sum(float(r[4]) for r in totals), 6),
        latest=_latest((sections.get("latest") or [None])[0]),
        trend=_trend(sections.get("trend") or []),
        class_read_as_grade=resolved.class_read_as_grade,
    )


@service(settings=planning.for_scope)
async def summarize(
    *, uow: UnitOfWork, actor: Actor, scope: Scope, period: Period | None = None
) -> Summary:
    """A summary of a school, district, grade, class, teacher or student (principals, admins)."""
    require_role(actor, UserRole.PRINCIPAL, UserRole.ADMIN, resource="Summary")
    resolved = await resolve_scope(uow, actor, scope)
    summary = await _build(uow, actor, resolved, period)
    record(
        uow,
        actor,
        AuditAction.READ,
        "Summary",
        scope.key,
        student_ids=[resolved.student_id] if resolved.student_id else None,
        scope=scope.kind,
        period=period.describe() if period else "all",
        analyses=summary.total,
    )
    await uow.commit()
    return summary
