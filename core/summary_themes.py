"""The themes section of a summary: the commonest strengths and weaknesses of the counted analyses.

Keys were folded when each analysis was written (analysis_themes, 0012): the summary groups the
items of the analyses it counts (core/summary_sections.py's shared `in_scope` CTE) and folds
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, true

from core.actor import Actor
from core.db import AnySelect
from core.models import AnalysisStatus, AnalysisTheme
from core.periods import Period
from core.scopes import ResolvedScope
from core.summary_queries import in_period, school_key
from core.themes import not_a_theme

TOP_THEMES = 5


def theme_range(
    actor: Actor, resolved: ResolvedScope, period: Period | None
) -> list[ColumnElement[bool]] | None:
    """The counted analyses' school and period, said of their theme items (0024), or None."""
    school = school_key(actor, resolved)
    if school is None or resolved.scope.kind != "school":
        # Part of a school: its analyses' items are fewer than the school's range holds (a
        # grade's are a twelfth), and the keyed scopes are planned once for every value
        # (generic), blind to a class's 30 analyses against a school's 2,000: such a plan that
        # read the school's range once per analysis took 540 ms (Year 3) where probes take 1.
        return None
    return [AnalysisTheme.school_id == school, *in_period(period, AnalysisTheme.created_at)]


def themes(
    in_scope: Any,
    theme_range: list[ColumnElement[bool]] | None,
    keys: tuple[str, ...],
) -> AnySelect:
    """The top themes per section of the analyses in `in_scope` (its completed ones)."""
    if theme_range is None:
        # A few analyses, or analyses across schools: their items are read per analysis by its
        # key (OFFSET 0 keeps the planner from flattening the LATERAL into a join it may answer
        # by scanning every school's items). The analyses are the counted ones first (the
        # shared CTE, which nothing flattens): planned generic, a class's items were read for
        # every analysis of its school in the period and its enrollments asked only afterwards
        # (MVP bench: 281 probes for 22 analyses, 2.4 of a class summary's 5 ms under RLS).
        counting = (
            select(in_scope.c.id.label("analysis_id"))
            .where(in_scope.c.status == AnalysisStatus.COMPLETED)
            .subquery("counting")
        )
        item: Any = (
            select(AnalysisTheme.section, AnalysisTheme.key, AnalysisTheme.phrase)
            .where(AnalysisTheme.analysis_id == counting.c.analysis_id)
            .offset(0)
            .lateral("item")
        )
        items: Any = (
            select(counting.c.analysis_id, item)
            .select_from(counting)
            .join(item, true())
            .subquery("items")
        )
    else:
        # Of one school, the items carry the school and the analysis's date (0024): the
        # period's items are one range of their index, read without the table, and kept when
        # their analysis is one the summary counts (a hashed semi-join). Joined instead, the
        # planner guessed a handful of analyses (it cannot know that a school's analyses are
        # of its students) and probed one table by the other's keys (Year 3: 1,979 probes,
        # 30 ms against 17 ms); OFFSET 0 keeps the range whole for the same reason.
        ranged = (
            select(
                AnalysisTheme.analysis_id,
                AnalysisTheme.section,
                AnalysisTheme.key,
                AnalysisTheme.phrase,
            )
            .where(*theme_range)
            .offset(0)
            .subquery("ranged")
        )
        completed = select(in_scope.c.id).where(in_scope.c.status == AnalysisStatus.COMPLETED)
        items = select(ranged).where(ranged.c.analysis_id.in_(completed)).subquery("items")
    count = func.count(items.c.analysis_id.distinct())
    # Grouped and sorted byte by byte: the same groups (equal text is equal bytes), the same
    # order as the C.UTF-8 databases here (code points), without the locale's comparisons
    # (Year 3: the school's 5,655 items sorted and grouped in 6.5 ms instead of 8.2), and the
    # same tie-breaks on a database created with another locale.
    section, key = items.c.section.collate("C"), items.c.key.collate("C")
    ranked = (
        select(
            section.label("section"),
            key.label("key"),
            func.mode().within_group(func.btrim(items.c.phrase).collate("C")).label("phrase"),
            count.label("n"),
            # Blank and placeholder keys rank last and are dropped outside the window.
            func.row_number()
            .over(partition_by=section, order_by=(not_a_theme(key, keys), count.desc(), key))
            .label("rank"),
        )
        .group_by(section, key)
        .subquery("ranked")
    )
    return (
        select(ranked.c.section, ranked.c.phrase, ranked.c.n)
        .where(ranked.c.rank <= TOP_THEMES, ~not_a_theme(ranked.c.key, keys))
        .order_by(ranked.c.section, ranked.c.rank)
    )
