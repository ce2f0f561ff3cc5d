"""`admin ...` commands: one grammar and one set of services for the chat and the CLI.

The chat hands `handle` what follows `admin`; the CLI (`growth-engine admin ...`) calls
`execute` as the system actor in English. How a line becomes words and arguments is
`bot.admin_grammar`; this module is the command table, what each command does, and its replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot import admin_grammar, admin_pages, admin_records
from bot.admin_call import Call, Replies, Runner, listed, one_sentence
from bot.admin_grammar import Spec, UsageError, number, split, usage_text
from bot.admin_records import RETENTION_CONFIRMED
from bot.commands import BY_VERB, word
from bot.events import Attachment, Reply
from bot.explain import explain
from bot.help import not_understood
from bot.i18n import isolate, money
from bot.meant import offer_command
from bot.request_words import request_in_english
from bot.student_guess import guess_text, guesses
from core.errors import AccessDenied, DomainError, InvalidInput, NotFound
from core.models import ChatPlatform
from core.roster_csv import KINDS, sniff
from core.services import admin_usage, commands, linking, people, roster_import, schools

# Imported by the CLI and the tests from here, where the command table is.
__all__ = ["RETENTION_CONFIRMED", "SPECS", "Call", "Outcome", "execute", "handle", "parse", "split"]

if TYPE_CHECKING:
    from bot.context import Context
    from bot.deps import Deps

INVITE_TTL = timedelta(hours=72)


@dataclass(frozen=True)
class Outcome:
    """The replies, and 0 (done), 1 (refused or failed) or 2 (bad usage) for an exit code;
    `meant`: the command to offer, a misspelt one spelt right (`user list` for `usr list`) or
    one on the student a name was a guess at (`audit student Noah Williams` for `Noa`)."""

    replies: Replies
    status: int
    meant: str | None = None
    next_page: str | None = None  # a list's next page, as a command (English, no `admin`)


def parse(words: list[str]) -> tuple[Spec[Runner], dict[str, Any]]:
    """The admin command the words name (longest match) and its bound arguments, or UsageError."""
    return admin_grammar.parse(words, SPECS)


_user_add = one_sentence(
    people.create_user,
    "admin_user_added",
    "email role first=first_name last=last_name school=school_code",
)
_user_role = one_sentence(people.update_user_role, "admin_user_role", "email role")
_deactivate = one_sentence(people.deactivate_user, "admin_deactivated", "email")
_reactivate = one_sentence(people.reactivate_user, "admin_reactivated", "email")
_school_add = one_sentence(
    schools.create_school, "admin_school_added", "code name district=district_code"
)
_district_add = one_sentence(schools.create_district, "admin_district_added", "code name")


async def _user_list(c: Call, a: dict[str, Any]) -> Replies:
    page = await c.run(people.list_users, school_code=a.get("school"), page=number(a, "page", 1))
    lines = [c.say("admin_users_title", page=page.page)]
    for u in page.items:
        inactive = "" if u.is_active else f" ({c.say('admin_inactive')})"
        lines.append(f"• {isolate(u.full_name)} <{u.email}> {c.say(f'role_{u.role}')}{inactive}")
    return listed(c, lines, page.items, {"page": page.page + 1} if page.has_more else None)


async def _school_list(c: Call, a: dict[str, Any]) -> Replies:
    found = await c.run(schools.list_schools)
    lines = [c.say("admin_schools_title")] + [f"• {s.code}: {isolate(s.name)}" for s in found]
    return [Reply("\n".join(lines if found else [c.say("admin_none")]))]


async def _invite(c: Call, a: dict[str, Any]) -> Replies:
    code = await c.run(linking.create_link_code, email=a["email"], ttl=INVITE_TTL)
    hours = int(INVITE_TTL.total_seconds() // 3600)
    email = a["email"].strip().lower()
    lines = [c.say_n("admin_invite", hours, email=email, hours=hours, code=code)]
    if c.bot_username:  # known to the Telegram adapter (getMe) or given on the CLI
        lines.append(c.say("admin_invite_link", link=f"https://t.me/{c.bot_username}?start={code}"))
    return [Reply("\n".join(lines))]


async def _roster(c: Call, a: dict[str, Any]) -> Replies:
    data = c.attachments[0].content
    kind = (a.get("kind") or sniff(data)[0]).lower()
    if kind not in KINDS:
        kinds = ", ".join(KINDS)
        values = {"value": kind, "kinds": kinds}
        raise InvalidInput("kind", f"one of {kinds}", rule="kind_unknown", values=values)
    school = a.get("school")
    if school is None:  # the admin's own school
        own = [s for s in await c.run(schools.list_schools) if s.id == c.actor.school_id]
        if not own:
            raise InvalidInput("school", "give the school's code", rule="school_required")
        school = own[0].code
    r = await c.run(roster_import.import_roster, school_code=school, kind=kind, data=data)
    values = {**vars(r), "rows": c.count("n_rows", r.rows), "kind": c.say(f"roster_kind_{r.kind}")}
    return [Reply(c.say("admin_roster_done", **values))]


async def _quota(c: Call, a: dict[str, Any]) -> Replies:
    if a.get("n") is None:  # no limit given: what the limits are, and what each school used
        q = await c.run(admin_usage.list_quotas, school_code=a.get("school"))
        lines = [c.say("admin_quotas_title", month=q.month, resets=q.resets.isoformat())]
        for r in q.rows:
            school, name = r.school_code, isolate(r.school_name)
            if r.limit is None:
                used = c.count("n_analyses", r.used)
                lines.append(c.say("admin_quota_unlimited", school=school, name=name, used=used))
            else:
                key = "admin_quota_line" if r.own else "admin_quota_line_district"
                values = {"school": school, "name": name, "used": r.used, "limit": r.limit}
                lines.append(c.say_n(key, r.used, **values))  # "נוצל ניתוח אחד"
        return [Reply("\n".join(lines))]
    off = a["n"].lower() in ("off", "none")
    q = await c.run(
        admin_usage.set_quota, school_code=a["school"], monthly=None if off else number(a, "n", 0)
    )
    shown = [c.say("admin_no_limit") if n is None else n for n in (q.monthly, q.previous)]
    return [
        Reply(c.say("admin_quota_set", school=q.school_code, limit=shown[0], previous=shown[1]))
    ]


async def _usage(c: Call, a: dict[str, Any]) -> Replies:
    month = a.get("month")  # "last month", "החודש שעבר": the keyword core reads
    month = request_in_english(month) if month else None
    report = await c.run(admin_usage.usage_report, month=month)
    if not report.rows:
        return [Reply(c.say("admin_usage_none", month=report.month))]

    def line(who: str, totals: tuple[int, int, float]) -> str:
        n, tokens, cost = totals
        analyses, tokens_used = c.count("n_analyses", n), c.count("n_tokens", tokens)
        return c.say("admin_usage_line", who=who, analyses=analyses, tokens=tokens_used,
                     cost=money(cost))  # fmt: skip

    lines, schools_total = [c.say("admin_usage_title", month=report.month)], report.by_school()
    for code, totals in schools_total.items():
        lines.append(line(code, totals))
        for r in (r for r in report.rows if r.school_code == code):
            teacher = f"{isolate(r.teacher_name)} <{r.teacher_email}>"
            lines.append("  • " + line(teacher, (r.analyses, r.tokens, r.cost)))
    lines.append(line(c.say("admin_usage_total"), report.total))
    return [Reply("\n".join(lines))]


SPECS: list[Spec[Runner]] = [
    Spec(("user", "add"), "EMAIL ROLE FIRST LAST [SCHOOL]", _user_add),
    Spec(("user", "role"), "EMAIL ROLE", _user_role),
    Spec(("user", "deactivate"), "EMAIL", _deactivate),
    Spec(("user", "reactivate"), "EMAIL", _reactivate),
    Spec(("user", "list"), "[SCHOOL] [--page=N]", _user_list),
    Spec(("school", "add"), "CODE NAME [DISTRICT]", _school_add),
    Spec(("school", "list"), "", _school_list),
    Spec(("district", "add"), "CODE NAME", _district_add),
    Spec(("invite",), "EMAIL", _invite),
    Spec(("roster", "import"), "[SCHOOL] [KIND]", _roster, attachment="CSV"),
    Spec(("quota",), "[SCHOOL] [N]", _quota),
    Spec(("usage",), "[MONTH...]", _usage),
    Spec(("audit", "student"), "STUDENT... [--before=ID]", admin_records.audit),
    Spec(("audit", "user"), "EMAIL [--before=ID]", admin_records.audit),
    Spec(("audit", "since"), "DATE [--before=ID]", admin_records.audit),
    Spec(("retention",), "[--dry-run] [--yes]", admin_records.retention_run),
    Spec(("record",), "STUDENT...", admin_records.record),
]


def _attach(c: Call, spec: Spec[Runner], values: dict[str, Any]) -> str:
    """How to send the file the command needs: with the message, or, where the chat cannot
    carry one (the terminal), from the shell."""
    if c.files:
        return c.say("admin_roster_attach")
    line = admin_pages.command_line(spec, values, {})
    return c.say("admin_roster_shell", command=f"growth-engine admin {line} --attach FILE.csv")


async def execute(call: Call, command: str | list[str]) -> Outcome:
    """Run one admin command (a chat line, or words a shell split); errors become replies."""
    words = split(command) if isinstance(command, str) else command
    if not words or words[0].lower() in ("-h", "--help", *BY_VERB["help"].en, *BY_VERB["help"].he):
        return Outcome([Reply(usage_text(UsageError(SPECS), call.say))], 0)
    try:
        spec, values = parse(words)
    except UsageError as error:
        if error.meant is not None:
            return _near_miss(call, words, error)
        text = usage_text(error, call.say)
        if error.key == "admin_extra" and any(_names(s) for s in error.specs):
            text += "\n" + call.say("admin_quote_names")
        return Outcome([Reply(text)], 2)
    if spec.attachment and not call.attachments:
        return Outcome([Reply(_attach(call, spec, values))], 2)
    try:
        if (asked := await _guessed(call, spec, values)) is not None:
            return asked
        replies = await spec.run(call, values)
        return Outcome(replies, 0, next_page=admin_pages.said_more(call, spec, values, replies))
    except DomainError as error:
        text = explain(call.language, error, role=call.actor.role, verb="admin")
        # "school add N-2 Second School": "School" was read as the district's code.
        if isinstance(error, NotFound) and _spilt(error) and _names(spec):
            text += "\n" + call.say("admin_quote_names")
        return Outcome([Reply(text)], 1)


async def _guessed(call: Call, spec: Spec[Runner], values: dict[str, Any]) -> Outcome | None:
    """A student named by a guess ("audit student Noa" for Noah Williams): asked about, as
    `analyze` asks, before their disclosure log is read or their record exported (at the CLI,
    said with exit code 1); None for a name in whole words, an id, or no student."""
    query = values.get("student")
    if query is None:
        return None
    found = await guesses(call.read_uow or call.uow, call.actor, query)
    if not found:
        return None
    command = " ".join([word(call.language, "admin"), *spec.words, found[0].full_name])
    text = guess_text(call.language, query, found, command)
    return Outcome([Reply(text)], 1, meant=command if len(found) == 1 else None)


def _spilt(error: NotFound) -> bool:
    """True when the school or district not found looks like a word of a name, not a code:
    codes are written in capitals ("DEMO-01"), names not ("School", "Cohen", "רביעי")."""
    key = error.key
    return error.resource in ("School", "District") and (not key.isascii() or key != key.upper())


def _names(spec: Spec[Runner]) -> bool:
    """True when `spec` takes a name a word at a time (NAME, FIRST, LAST): a name of several
    words typed without quotes spills into the next parameter, or past the last."""
    return bool({"NAME", "FIRST", "LAST"} & set(spec.params.split()))


def _near_miss(call: Call, words: list[str], error: UsageError) -> Outcome:
    """A misspelt admin command: the one it was near, spelt right, with its usage line."""
    admin = word(call.language, "admin")
    meant = " ".join(error.meant or [])
    said = call.say("did_you_mean_typo", text=" ".join([admin, *words]), word=f"{admin} {meant}")
    usage = usage_text(error, call.say).split("\n", 1)[1]  # the usage lines, not the problem
    return Outcome([Reply(f"{said}\n{usage}")], 2, meant=f"{admin} {meant}")


async def handle(
    engine: Deps,
    ctx: Context,
    argument: str,
    attachments: tuple[Attachment, ...] = (),
    *,
    bot_username: str | None = None,
    unprefixed: bool = False,
) -> list[Reply]:
    """`admin ARGUMENT` from a chat: admins only (refusals audited), files from the event;
    `unprefixed` (typed without `admin`): run only if it changes nothing, else offered."""
    actor = ctx.user.actor
    try:
        async with engine.uow() as uow:
            await commands.authorize_command(uow=uow, actor=actor, command="admin")
    except AccessDenied:
        return [Reply(ctx.say("role_refused"))]
    in_words = not admin_pages.typed_a_command(ctx.event.text)
    if (more := admin_pages.continued(ctx, argument)) is not None:  # "more", "עוד"
        if not more[0]:
            return [Reply(ctx.say("admin_more_none"))]
        (argument, in_words), unprefixed = more, False
    reads = admin_grammar.line_reads_only(split(argument), SPECS) if unprefixed else True
    if reads is None:  # "usage is high this month", "רשימה של תלמידים": words, not a command
        return [not_understood(ctx, argument)]
    if not reads:  # "retention": asked first, as a misspelt command is
        command = f"{word(ctx.language, 'admin')} {argument}"
        return [offer_command(ctx, command, ctx.say("admin_asked_first", word=command))]
    files = attachments or ctx.event.attachments
    call = Call(engine.uow, actor, ctx.language, files, bot_username, engine.read_uow,
                in_words=in_words, files=ctx.event.platform is not ChatPlatform.SHELL)  # fmt: skip
    outcome = await execute(call, argument)
    if outcome.meant is not None:  # a button (or yes) runs it, as a misspelt command's does
        return [offer_command(ctx, outcome.meant, outcome.replies[0].text)]
    admin_pages.offer_more(ctx, outcome.replies, outcome.next_page, in_words)
    return outcome.replies
