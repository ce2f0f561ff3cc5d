"""The one place a domain error becomes a sentence, in the user's language.

What the sentence says can depend on the command that failed (a summary's bad period, an
admin's missing school), so callers pass the verb and its argument along with the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.admin_grammar import NotANumber
from bot.i18n import keys, plural_keys, t, tn
from bot.request_words import FILLER, offered
from core.errors import (
    AccessDenied,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    UnknownPeriod,
)
from core.models import UserRole
from core.roster_csv import RosterRejected
from core.scope_words import NEEDS_VALUE
from core.scopes import AmbiguousClass, AmbiguousStudent, AmbiguousTeacher

REPORT_LINES = 50  # of a rejected roster: enough to fix a file, short enough for one chat
SUMMARY_VERBS = frozenset({"summary", "export", "flagged", "reviewed"})
SUMMARY_USAGE = ("summary", "export")  # verbs whose bad input is followed by their usage
ADMIN_NOT_FOUND = frozenset({"School", "District", "User", "Student"})


def field_words(language: str, field: str) -> str:
    """A parameter's name as people say it (`n`: "the monthly limit (N)"), where the catalogue
    has words for it (`field_<name>`); else the name itself, which is a word already."""
    key = f"field_{field}"
    return t(language, key) if key in keys(language) else field


def reason_words(language: str, error: InvalidInput) -> str:
    """Why `error`'s input was refused, in `language` where the catalogue has words for its
    rule (`reason_<rule>`); else core's own reason, which is English."""
    key = f"reason_{error.rule}"
    if not error.rule or key not in keys(language):
        return error.reason
    return t(language, key, **error.values)


def explain(
    language: str,
    error: DomainError,
    *,
    role: UserRole,
    verb: str = "",
    argument: str = "",
    choices: Sequence[str] | None = None,
) -> str:
    """The sentence for `error`, raised while running `verb ARGUMENT` for a user of `role`;
    `choices` are what a missing value may be (the districts), when the caller looked them up."""
    if verb == "export":
        argument = argument.strip().partition(" ")[2]  # past the word "analyses"
    if choices is not None and isinstance(error, InvalidInput):
        # The districts themselves say what to write: no usage line after them.
        return _choices(language, error.field, choices)
    words = argument.split()
    text = _sentence(language, error, role, verb, argument, words)
    # Not after "several match": that sentence already says what to write instead.
    ambiguous = isinstance(error, AmbiguousClass | AmbiguousStudent | AmbiguousTeacher)
    # Nor after a missing value: that sentence names what to write, by example.
    missing = isinstance(error, InvalidInput) and error.field in NEEDS_VALUE
    if isinstance(error, InvalidInput) and not (ambiguous or missing) and verb in SUMMARY_USAGE:
        usage = "summary_usage_help" if verb == "summary" else "export_usage"
        text += "\n" + t(language, usage)
    return text


def _choices(language: str, field: str, choices: Sequence[str]) -> str:
    """Which `field` ("district") to write, and the ones there are; or that there are none."""
    kind = offered(language, f"s_{field}") or field
    if not choices:
        return t(language, f"missing_{field}_none")
    return t(language, f"missing_{field}_choices", kind=kind, choices=", ".join(choices))


def _roster_report(language: str, error: RosterRejected) -> str:
    """The file's problems, one a line in file order, each in `language` where the catalogue
    has words for its rule (else core's English reason); at most REPORT_LINES, then a count."""
    lines = []
    for e in error.errors[:REPORT_LINES]:
        key = f"roster_{e.rule}"
        if key in plural_keys(language):  # "1 value, but the header has 3"
            reason = tn(language, key, int(str(e.values["n"])), **e.values)
        else:
            reason = t(language, key, **e.values) if key in keys(language) else e.reason
        where = "roster_at_column" if e.column else "roster_at_line"
        lines.append(t(language, where, line=str(e.line), column=e.column, reason=reason))
    if len(error.errors) > REPORT_LINES:
        lines.append(t(language, "roster_and_more", n=len(error.errors) - REPORT_LINES))
    return "\n".join(lines)


def _sentence(
    language: str, error: DomainError, role: UserRole, verb: str, argument: str, words: list[str]
) -> str:
    def say(key: str, **values: Any) -> str:
        return t(language, key, **values)

    if isinstance(error, NotANumber):  # before InvalidInput, which it is too
        return say("bad_number", field=field_words(language, error.field), value=error.value)
    if isinstance(error, RosterRejected):  # before InvalidInput, which it is too
        return say("admin_roster_rejected", report=_roster_report(language, error))
    if isinstance(error, AmbiguousStudent):
        return say("bad_student", value=error.query, names=", ".join(error.candidates))
    if isinstance(error, AmbiguousTeacher):
        return say("bad_teacher", value=error.name, names=", ".join(error.candidates))
    if isinstance(error, AmbiguousClass):
        return say("bad_class", value=error.value, names=", ".join(error.names))
    if isinstance(error, QuotaExceeded):
        return tn(language, "quota", error.limit, limit=error.limit, resets_on=error.resets_on)
    if isinstance(error, UnknownPeriod):  # names the words it could not read, whatever the verb
        return say("bad_period", value=error.value)
    if isinstance(error, InvalidInput):
        if verb in SUMMARY_VERBS:
            if error.field == "period":
                return say("bad_period", value=words[-1] if words else "")
            if error.field == "scope":
                # "summary of Moshe": the word that was not understood, not "of".
                named = [w for w in words if w.lower() not in FILLER]
                return say("bad_scope", value=named[0] if named else "")
            if error.field in NEEDS_VALUE:  # each kind by its own example, not every kind's
                return say(f"bad_missing_{error.field}", kind=offered(language, f"s_{error.field}"))
            if error.field == "id":
                return say("bad_id", value=argument.strip())
        reason = reason_words(language, error)
        return say("invalid", field=field_words(language, error.field), reason=reason)
    if isinstance(error, AccessDenied):
        if error.reason in ("other_school", "admin_only"):
            return say(error.reason)
        if error.resource == "AuditLog":  # "who saw Noah's analyses?": who may read the log
            return say("audit_log_admin_only")
        if f"denied_{error.reason}" in keys(language):  # "your own role": why, not only no
            return say(f"denied_{error.reason}")
        if verb in SUMMARY_VERBS or (verb == "admin" and role is not UserRole.ADMIN):
            return say("role_refused")
        return say("denied")
    if isinstance(error, NotFound):
        if verb == "admin" and error.resource in ADMIN_NOT_FOUND:
            return say(f"admin_no_{error.resource.lower()}", name=error.key)
        if verb in SUMMARY_VERBS:
            what = say(f"what_{error.resource}") if error.resource else ""
            return say("scope_not_found", what=what, value=error.key)
        return say("not_found")
    if isinstance(error, Conflict):
        if verb == "reviewed":
            return say("not_flagged")
        if error.rule and f"conflict_{error.rule}" in keys(language):
            return say(f"conflict_{error.rule}", **error.values)
        return say("conflict", what=error.what)  # core's English: no sentence names it yet
    return say("admin_failed", error=str(error))
