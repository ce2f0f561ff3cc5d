"""Statements run on the driver connection of a unit of work: hand-written SQL, policy compiled in.

The exchange's hot path writes each transaction's rows in one statement (data-modifying CTEs),
sent through asyncpg directly (its prepared-statement cache, no ORM or Core execution on top):
about a quarter of the client CPU per statement. The access rule stays core/policy.py's: the
statement that selects the analysis is built by SQLAlchemy from the policy, compiled once per
role, and embedded as a CTE. A statement that writes student data must insert the unit's
queued audit rows itself, from its `audit` parameter, and report how many rows it wrote and
audited (`written`, `audited` columns): whether it writes student data is read from its SQL,
such a statement without those parts cannot be built, and `UnitOfWork.run_audited` refuses to
run it with no audit row queued and rolls back one that wrote rows but audited none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from core.db import AnySelect

# Tables of student data: a write to one needs an audit row in the same transaction.
PROTECTED_TABLES = frozenset(
    {"students", "classes", "class_enrollments", "analyses", "analysis_conversations", "users"}
)
_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:public\.)?(\w+)", re.I)
_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
# `:name` parameters of the templates; not `::type` casts.
_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_NUMBERED = re.compile(r"\$(\d+)")
# The audit rows as UnitOfWork.run_audited passes them: audit_logs' columns, one JSON object each.
AUDIT_ROWS = (
    "jsonb_to_recordset(:audit::jsonb) AS queued(user_id text, user_email text, user_role text, "
    "action audit_action, resource text, resource_id text, metadata jsonb)"
)
AUDIT_COLUMNS = "user_id, user_email, user_role, action, resource, resource_id, metadata"
# The column telling whether `ge_act_as` set an actor for this transaction (it clears the
# settings first, so a refused actor leaves them empty).
ACTING = "current_setting('ge.role', true) <> '' AS acting"


@dataclass(frozen=True)
class DriverStatement:
    """One statement for asyncpg: its SQL with $n parameters and the name of each, in order."""

    sql: str
    names: tuple[str, ...]
    # Values of the compiled parts' own literals (SQLAlchemy binds `+ 1` as a parameter).
    defaults: Mapping[str, Any] = field(default_factory=dict)

    # Whether the SQL writes a table of student data: read from the SQL once, not declared.
    writes_student_data: bool = field(init=False)
    # Whether it reports if the transaction acts as someone (an `acting` column, ACTING):
    # then it may be a transaction's first statement right after a pipelined act-as.
    reports_acting: bool = field(init=False)

    def __post_init__(self) -> None:
        writes = PROTECTED_TABLES.intersection(m.lower() for m in _WRITES.findall(self.sql))
        object.__setattr__(self, "writes_student_data", bool(writes))
        columns = set(re.findall(r"AS (\w+)", self.sql))
        object.__setattr__(self, "reports_acting", ACTING in self.sql)
        if self.writes_student_data and (
            "INSERT INTO audit_logs" not in self.sql
            or "audit" not in self.names
            or not {"written", "audited"} <= columns
        ):
            raise ValueError(
                "a statement writing student data inserts its audit rows (the `audit` "
                "parameter) and reports `written` and `audited`"
            )

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `params` (KeyError names a missing one)."""
        return [params[name] if name in params else self.defaults[name] for name in self.names]


def _named(select: AnySelect, defaults: dict[str, Any]) -> str:
    """`select` compiled for asyncpg, its $n parameters turned back into :name."""
    compiled = select.compile(dialect=_DIALECT)
    order = compiled.positiontup or []
    defaults.update((k, v) for k, v in compiled.params.items() if v is not None)
    return _NUMBERED.sub(lambda m: f":{order[int(m.group(1)) - 1]}", compiled.string)


def compose(template: str, **parts: AnySelect) -> DriverStatement:
    """`template` with each `{part}` replaced by its compiled select; :name made $n."""
    defaults: dict[str, Any] = {}
    sql = template.format(**{name: _named(select, defaults) for name, select in parts.items()})
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return DriverStatement(_NAMED.sub(number, sql), tuple(names), defaults)
