"""`summary`, `flagged`, `reviewed` and `export` for principals and admins (exports: anyone).

Arguments are read here (a bad one gets a sentence naming it), the services do the rest in
their own units of work, and text comes from the catalogue in the user's language. School,
district and grade summaries carry a PNG chart when the engine has a chart renderer; exports
carry the CSV. A summary without a period covers this school year; an export, all time.
`flagged` and `reviewed` are answered by `bot.flagged_commands`.
"""

from __future__ import annotations

import asyncio
import difflib
from datetime import datetime
from typing import TYPE_CHECKING

from bot import flagged_commands
from bot.events import Attachment, Reply
from bot.explain import explain
from bot.i18n import isolate, money
from bot.nearest_command import NEAR_MISS
from bot.request_words import SCOPE_WORDS, in_export_words, request_in_english
from bot.scope_choice import offer_scopes
from bot.student_guess import ask_about, guesses
from core.errors import DomainError, InvalidInput, NotFound, StudentNotFound
from core.models import AnalysisStatus
from core.periods import KEYWORDS, SCHOOL_TZ, Period, parse_period
from core.ports.charts import ChartSpec, Panel
from core.scope_words import Scope, parse_request
from core.sections import LIST_SECTIONS
from core.services import exports, schools, summaries

if TYPE_CHECKING:
    from bot.context import Context
    from bot.deps import Deps

CHARTED = ("school", "district", "grade")
STATUSES = (AnalysisStatus.COMPLETED, AnalysisStatus.IN_PROGRESS, AnalysisStatus.FAILED)


def _date(moment: datetime) -> str:
    return moment.astimezone(SCHOOL_TZ).date().isoformat()


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _scope_title(ctx: Context, summary: summaries.Summary) -> str:
    return ctx.say(f"scope_{summary.scope.kind}", name=isolate(summary.name))


def _period(ctx: Context, summary: summaries.Summary) -> str:
    if summary.period is None:
        return ctx.say("period_all")
    period = summary.period
    if period.label in KEYWORDS:  # a named period in the user's language, then its dates
        return f"{ctx.say('period_' + period.label)} ({period.first}..{period.last})"
    return period.describe()


def _read_as_grade(ctx: Context, value: str | None) -> list[str]:
    """ "No class is called “5”; here is grade 5:" when a class value was read as a grade."""
    if value is None:
        return []
    return [ctx.say("class_read_as_grade", value=isolate(value), grade=isolate(value))]


def _render(ctx: Context, s: summaries.Summary) -> str:
    lines = _read_as_grade(ctx, s.class_read_as_grade)
    lines.append(ctx.say("summary_title", scope=_scope_title(ctx, s), period=_period(ctx, s)))
    if s.empty:
        return "\n".join([*lines, ctx.say("summary_empty_scope", scope=_scope_title(ctx, s))])
    lines.append(
        ctx.say(
            "summary_counts",
            total=s.total,
            completed=s.count(AnalysisStatus.COMPLETED),
            in_progress=s.count(AnalysisStatus.IN_PROGRESS),
            cancelled=s.cancelled,
            failed=s.count(AnalysisStatus.FAILED) - s.cancelled,
            flagged=s.flagged,
        )
    )
    grades = [(ctx.say("grade_label", grade=c.label), c) for c in s.by_grade]
    classes = [(isolate(c.label), c) for c in s.by_class]
    for title, rows in (("summary_grades", grades), ("summary_classes", classes)):
        if rows and s.scope.kind != "student":
            lines += ["", ctx.say(title)]
            lines += [
                ctx.say("coverage_line", label=label, covered=c.covered, active=c.active,
                        percent=round(c.share * 100))
                for label, c in rows
            ]  # fmt: skip
    if s.teachers:
        lines += ["", ctx.say("summary_teachers")]
        lines += [
            ctx.say("teacher_line", name=isolate(t.name), total=t.total, completed=t.completed)
            for t in s.teachers
        ]
    for title, themes in (("summary_strengths", s.strengths), ("summary_weaknesses", s.weaknesses)):
        if themes:
            lines += ["", ctx.say(title)]
            lines += [ctx.say("theme_line", phrase=x.phrase, count=x.count) for x in themes]
    lines += ["", ctx.say("summary_confidence", value=_percent(s.average_confidence))]
    lines.append(ctx.say("summary_usage", tokens=f"{s.tokens:,}", cost=money(s.cost)))
    return "\n".join(lines + _student_lines(ctx, s))


def _student_lines(ctx: Context, s: summaries.Summary) -> list[str]:
    latest = s.latest
    if latest is None:
        return []
    lines = ["", ctx.say("summary_latest", date=_date(latest.created_at),
                         teacher=isolate(latest.teacher))]  # fmt: skip
    edited = f" ({ctx.say('summary_edited')})"
    for key in LIST_SECTIONS:  # the latest analysis's lists, named as core names them
        lines.append(f"{ctx.say(key)}{edited if key in latest.edited else ''}:")
        lines += [f"  • {item}" for item in getattr(latest, key)]
    for key, value in (("learningStyle", latest.learning_style or "—"),
                       ("confidence", _percent(latest.confidence))):  # fmt: skip
        lines.append(f"{ctx.say(key)}{edited if key in latest.edited else ''}: {value}")
    if s.trend:
        lines += ["", ctx.say("summary_trend")]
        lines += [
            ctx.say("trend_line", date=_date(p.created_at), confidence=_percent(p.confidence),
                    strengths=ctx.tn("n_strengths", p.strengths),
                    weaknesses=ctx.tn("n_difficulties", p.weaknesses))
            for p in s.trend
        ]  # fmt: skip
    return lines


def chart_spec(ctx: Context, s: summaries.Summary) -> ChartSpec:
    """The coverage and status panels of a school, district or grade summary."""
    if s.scope.kind == "grade":
        title, coverage = ctx.say("chart_classes"), [(c.label, c.share) for c in s.by_class]
    else:
        title = ctx.say("chart_grades")
        coverage = [(ctx.say("grade_label", grade=c.label), c.share) for c in s.by_grade]
    statuses = tuple((ctx.say(f"status_{status}"), float(s.count(status))) for status in STATUSES)
    return ChartSpec(
        f"{_scope_title(ctx, s)} — {_period(ctx, s)}",
        (Panel(title, tuple(coverage), percent=True), Panel(ctx.say("chart_statuses"), statuses)),
        rtl=ctx.language == "he",
    )


def _explain(ctx: Context, error: DomainError, verb: str, argument: str) -> Reply:
    role = ctx.user.actor.role
    return Reply(explain(ctx.language, error, role=role, verb=verb, argument=argument))


async def _summarize(
    engine: Deps, ctx: Context, scope: Scope, period: Period | None
) -> summaries.Summary:
    now = ctx.event.received_at
    async with engine.read_uow() as uow:
        return await summaries.summarize(
            uow=uow,
            actor=ctx.user.actor,
            scope=scope,
            period=period or parse_period("this-year", now=now),
        )


async def _of_a_name(
    engine: Deps, ctx: Context, argument: str, request: str, unread: InvalidInput
) -> summaries.Summary | list[Reply]:
    """A request that starts with a name, no scope word ("summary of Shira", "סיכום של דנה
    לוי"): the student of that name as written, else the teacher; a student found only by a
    guess ("Dana" read as דהן) after the teacher named as typed, and asked about before it is
    read; else what was wrong with it."""
    now = ctx.event.received_at
    named, _period = parse_request(f"student {request}", now=now)
    query = named.value or ""
    found = await guesses(engine.read_uow, ctx.user.actor, query)
    for kind in ("teacher",) if found else ("student", "teacher"):
        scope, period = parse_request(f"{kind} {request}", now=now)
        try:
            return await _summarize(engine, ctx, scope, period)
        except NotFound:
            continue
    if found:
        return ask_about(ctx, "summary", argument, query, found)
    if _misspelt_scope(request):
        raise unread  # "summary schol": which scopes there are
    # "summary Zelda", "how is Zelda doing?": a name no student or teacher you may see has; the
    # sentence "summary student Zelda" gives (whether Zelda studies elsewhere is not said).
    raise StudentNotFound(query)


def _misspelt_scope(request: str) -> bool:
    """True when the request's first word is near a scope's word ("schol", "grde", "classes")."""
    first = request.split()[0].lower() if request.split() else ""
    spellings = [w for words in SCOPE_WORDS.values() for said in words.values() for w in said]
    return bool(difflib.get_close_matches(first, spellings, n=1, cutoff=NEAR_MISS))


async def _guessed(
    engine: Deps, ctx: Context, verb: str, argument: str, scope: Scope
) -> list[Reply] | None:
    """The question when `scope` is a student named by a guess ("summary student noa" for Noah
    Williams), asked before their summary or export is read; None when it is no such thing."""
    if scope.kind != "student" or not scope.value:
        return None
    found = await guesses(engine.read_uow, ctx.user.actor, scope.value)
    return ask_about(ctx, verb, argument, scope.value, found) if found else None


async def _summary(engine: Deps, ctx: Context, argument: str) -> list[Reply]:
    request = request_in_english(argument)
    try:
        scope, period = parse_request(request, now=ctx.event.received_at)
    except InvalidInput as unread:
        if unread.field != "scope":
            raise
        named = await _of_a_name(engine, ctx, argument, request, unread)
        if isinstance(named, list):  # a student found by a guess: asked about
            return named
        summary, scope = named, named.scope
    else:
        if (asked := await _guessed(engine, ctx, "summary", argument, scope)) is not None:
            return asked
        summary = await _summarize(engine, ctx, scope, period)
    attachments: tuple[Attachment, ...] = ()
    kind = summary.scope.kind  # "class 5" read as grade 5 is a grade's summary, charted
    if engine.charts is not None and kind in CHARTED and not summary.empty:
        png = await asyncio.to_thread(engine.charts.render_png, chart_spec(ctx, summary))
        attachments = (Attachment(f"summary-{kind}.png", png, "image/png"),)
    return [Reply(_render(ctx, summary), attachments=attachments)]


async def _export(engine: Deps, ctx: Context, argument: str) -> list[Reply]:
    what, _, rest = argument.strip().partition(" ")
    if in_export_words(what):
        scope, period = parse_request(request_in_english(rest), now=ctx.event.received_at)
    else:
        # Analyses are all there is to export: "export", "export grade 5" or "ייצוא החודש"
        # mean them; anything else is answered with how to write it.
        try:
            scope, period = parse_request(request_in_english(argument), now=ctx.event.received_at)
        except InvalidInput:
            return [Reply(ctx.say("export_usage"))]
    if (asked := await _guessed(engine, ctx, "export", argument, scope)) is not None:
        return asked  # a file about a student the person may not have meant
    async with engine.read_uow() as uow:
        exported = await exports.export_analyses(
            uow=uow, actor=ctx.user.actor, scope=scope, period=period
        )
    attachment = Attachment(exported.filename, exported.content, "text/csv")
    text = ctx.tn("export_done", exported.rows, rows=exported.rows, filename=exported.filename)
    text = "\n".join([*_read_as_grade(ctx, exported.class_read_as_grade), text])
    return [Reply(text, attachments=(attachment,))]


async def handle(engine: Deps, ctx: Context, verb: str, argument: str) -> list[Reply]:
    """Answer `summary`, `flagged`, `reviewed` or `export` with text and attachments."""
    try:
        if verb == "summary":
            return await _summary(engine, ctx, argument)
        if verb == "flagged":
            return await flagged_commands.flagged_list(engine, ctx)
        if verb == "reviewed":
            return await flagged_commands.reviewed(engine, ctx, argument)
        if verb == "export":
            return await _export(engine, ctx, argument)
    except DomainError as error:
        if (choices := offer_scopes(ctx, error, verb, argument)) is not None:
            return [choices]  # "כיתה ה1": מתמטיקה ה'1 or עברית ה'1, a button each
        return [await _explained(engine, ctx, error, verb, argument)]
    return [Reply(ctx.say("summary_usage_help"))]


async def _explained(
    engine: Deps, ctx: Context, error: DomainError, verb: str, argument: str
) -> Reply:
    """`error` as a sentence; a district left out is answered with the districts there are
    (an admin can find a district's code nowhere else in the chat)."""
    if not (isinstance(error, InvalidInput) and error.field == "district"):
        return _explain(ctx, error, verb, argument)
    try:
        async with engine.read_uow() as uow:
            found = await schools.list_districts(uow=uow, actor=ctx.user.actor)
    except DomainError as refused:  # not an admin: that, not how to write a district's code
        return _explain(ctx, refused, verb, argument)
    choices = [f"{d.code} ({isolate(d.name)})" for d in found]
    role = ctx.user.actor.role
    return Reply(explain(ctx.language, error, role=role, verb=verb, choices=choices))
