"""The `admin` commands about children's records: the disclosure and audit logs, retention
(anonymising what is due, after a confirmation) and a student's whole record as files."""

from __future__ import annotations

from typing import Any

from bot.admin_call import Call, Replies, listed
from bot.events import Attachment, Button, Reply
from bot.i18n import isolate, keys
from core.services import audit_queries, records, retention

IDS_SHOWN = 20
# The button under a retention preview: the same command, confirmed (the CLI's --yes).
RETENTION_CONFIRMED = "admin:retention --yes"


def _entry(c: Call, e: audit_queries.AuditEntry) -> str:
    mark = "" if e.outcome == "ok" else f" · {c.say('admin_' + e.outcome + '_mark')}"
    # The seed and other jobs are written by "system" (no account): said in the reader's words.
    who = c.say("audit_system") if e.user_email in (None, "system") else e.user_email
    via = _said(c, f"audit_via_{e.platform}") or e.platform or "-"
    return f"{e.at:%Y-%m-%d %H:%M}Z · {who} · {_what(c, e)} · {via}{mark}"


def _what(c: Call, e: audit_queries.AuditEntry) -> str:
    """What was done, in words ("read a student's record"); English keeps the row's codes
    after them ("(READ Student)"), which operators grep the console's output for."""
    resource, _, command = e.resource.partition(":")  # "Command:admin"
    noun = _said(c, f"audit_res_{resource}") or isolate(e.resource)
    words = (
        _said(c, f"audit_{e.action}_{resource}", command=command)
        or _said(c, f"audit_act_{e.action}", what=noun)
        or f"{e.action} {noun}"
    )
    code = f"{e.action} {e.resource} {e.resource_id or ''}".strip()
    shown_id = f" {isolate(e.resource_id)}" if e.resource_id else ""
    return c.say("audit_line_what", words=words, code=code, id=shown_id)


def _said(c: Call, key: str, **values: Any) -> str:
    """The catalogue's sentence `key`, or "" when it has none (a resource named by an error)."""
    return c.say(key, **values) if key in keys(c.language) else ""


async def audit(c: Call, a: dict[str, Any]) -> Replies:
    """`audit student|user|since ...`: the log entries, newest first, a page at a time."""
    before = a.get("before")
    if "student" in a:
        found = await c.run_read(records.student_disclosures, student=a["student"], before=before)
        entries = found.entries
        title = c.say("admin_audit_student", name=isolate(found.student.full_name))
    elif "email" in a:
        entries = await c.run_read(audit_queries.audit_by_user, email=a["email"], before=before)
        title = c.say("admin_audit_user", email=a["email"])
    else:
        entries = await c.run_read(audit_queries.audit_since, since=a["date"], before=before)
        # The day itself, also when it was asked for as "yesterday".
        title = c.say("admin_audit_since", date=audit_queries.parse_day(a["date"]))
    lines = [title, *(_entry(c, e) for e in entries.items)]
    more = entries.next_before and {"before": entries.next_before}
    return listed(c, lines, entries.items, more)


async def retention_run(c: Call, a: dict[str, Any]) -> Replies:
    """`retention`: what is due and a button to run it; with --dry-run or --yes, that run."""
    dry = bool(a.get("dry_run"))
    if not dry and not a.get("yes"):
        return await _retention_question(c)
    r = await c.run(retention.run_retention, dry_run=dry)
    summary = "admin_retention_dry" if dry else "admin_retention"
    students, users = c.count("n_students", len(r.student_ids)), c.count("n_users", len(r.user_ids))
    lines = [c.say(summary, students=students, users=users)]
    for key, ids in (("admin_student_ids", r.student_ids), ("admin_user_ids", r.user_ids)):
        if ids:  # the audit row of the run lists them all
            more = " …" if len(ids) > IDS_SHOWN else ""
            lines.append(c.say(key, ids=", ".join(map(str, ids[:IDS_SHOWN])) + more))
    return [Reply("\n".join(lines))]


async def _retention_question(c: Call) -> Replies:
    """What a run would anonymise, and a button that runs it: it cannot be undone."""
    due = await c.run(retention.run_retention, dry_run=True)
    if not (due.student_ids or due.user_ids):
        return [Reply(c.say("admin_retention_nothing_due"))]
    counts = {
        "students": c.count("n_students", len(due.student_ids)),
        "users": c.count("n_users", len(due.user_ids)),
    }
    button = Button(c.say("admin_retention_go"), RETENTION_CONFIRMED)
    return [Reply(c.say("admin_retention_confirm", **counts), (button,))]


async def record(c: Call, a: dict[str, Any]) -> Replies:
    """`record STUDENT`: the student's whole record and disclosure log, as two files."""
    r = await c.run(records.export_student_record, student=a["student"])
    files = (
        Attachment(f"{r.basename}.json", r.json_bytes(), "application/json"),
        Attachment(f"{r.basename}-disclosures.csv", r.csv_bytes(), "text/csv"),
    )
    name = isolate(r.student.full_name)
    analyses, entries = c.count("n_analyses", r.analyses), c.count("n_log_entries", r.disclosures)
    text = c.say("admin_record", name=name, analyses=analyses, disclosures=entries)
    return [Reply(text, attachments=files)]
