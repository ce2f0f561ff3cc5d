"""Typed domain errors; adapters turn each into a sentence in the user's language."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code = "error"


class AccessDenied(DomainError):
    """The acting user may not do this; `reason` is a short machine-readable word."""

    code = "access_denied"

    def __init__(self, reason: str, *, resource: str = "", resource_id: str | None = None) -> None:
        super().__init__(f"access denied: {reason}")
        self.reason = reason
        self.resource = resource
        self.resource_id = resource_id


class NotFound(DomainError):
    """No such record visible to the acting user."""

    code = "not_found"

    def __init__(self, resource: str, key: str) -> None:
        super().__init__(f"{resource} not found: {key}")
        self.resource = resource
        self.key = key


class StudentNotFound(NotFound):
    """No student matching the query among those the user may see."""

    code = "student_not_found"

    def __init__(self, key: str) -> None:
        super().__init__("Student", key)


class InvalidInput(DomainError):
    """Bad input; `field` names what is wrong and `reason` says why (in English, for logs and
    the API). `rule` names the reason as a short machine-readable word, and `values` what fills
    it, so an adapter can say it in the reader's language; "" when there is no such word."""

    code = "invalid_input"

    def __init__(
        self, field: str, reason: str, *, rule: str = "", values: dict[str, object] | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.rule = rule
        self.values = dict(values or {})


class UnknownPeriod(InvalidInput):
    """`value` is written as a period (last-week, 2026-13) but is not one the parser knows."""

    code = "unknown_period"

    def __init__(self, value: str, reason: str) -> None:
        super().__init__("period", reason)
        self.value = value


class Conflict(DomainError):
    """The change clashes with existing data (a duplicate email, say); `what` says so in
    English (logs, the API), `rule` and `values` name the clash for a sentence in the reader's
    language, as InvalidInput's do ("" when there is no such word)."""

    code = "conflict"

    def __init__(
        self, what: str, *, rule: str = "", values: dict[str, object] | None = None
    ) -> None:
        super().__init__(what)
        self.what = what
        self.rule = rule
        self.values = dict(values or {})


class AnalysisClosed(Conflict):
    """The analysis is no longer in progress (finished or cancelled, perhaps in another chat)."""

    def __init__(self, status: object) -> None:
        super().__init__(f"analysis is {status}")
        self.status = status


class QuotaExceeded(DomainError):
    """The school's monthly analysis quota is used up until `resets_on`."""

    code = "quota_exceeded"

    def __init__(self, limit: int, resets_on: str) -> None:
        super().__init__(f"monthly quota of {limit} analyses reached; resets on {resets_on}")
        self.limit = limit
        self.resets_on = resets_on


class AuditMissing(RuntimeError):
    """A use case touched protected data without writing (and committing) an audit row."""
