"""How a unit's transactions plan and read: settings sent with the actor check, in one round trip.

Every transaction of a unit acting as someone begins with `ge_act_as` (core/session_guards.py);
the transaction-local settings a service needs ride in that same statement, where a
`set_config` of their own cost every summary, flagged list and export a round trip.

- Per school (a school's, a grade's or a district's reads): custom plans, which see the school
  and the dates (prepared statements are cached, and after five runs PostgreSQL may switch to
  a generic plan that cannot: Year 1 bench, themes 37 ms -> 99 ms), and no parallel workers,
  whose plans start from a parallel seq scan of every school's students (Year 3: 225,000 rows
  read for a school's 750) where a serial plan reads the school's students from an index.
- By keys (a student's, a class's or a teacher's reads): one plan fits every value, so the
  shape's statement is planned once per connection and kept (prepared). Planned per call,
  planning was most of a narrow summary's time in the server (Year 3: a student's statement
  planned in 2.6 ms and ran in 1.3 ms under row-level security).

JIT is off for every connection (core/db.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# (name, value) pairs, each set with `set_config(name, value, true)`: for the transaction only.
Settings = tuple[tuple[str, str], ...]
SettingsFor = Callable[[Mapping[str, Any]], Settings]

PLAN_MODE = "plan_cache_mode"
CUSTOM, GENERIC = "force_custom_plan", "force_generic_plan"
_SERIAL = ("max_parallel_workers_per_gather", "0")
PER_SCHOOL: Settings = ((PLAN_MODE, CUSTOM), _SERIAL)
BY_KEYS: Settings = ((PLAN_MODE, GENERIC), _SERIAL)

# Scopes whose rows are read by their keys (a student's, a class's enrollments, a teacher's
# analyses).
KEYED_KINDS = frozenset({"student", "class", "teacher"})


def plan_mode(kind: str) -> str:
    """How a read over a scope of this kind plans: generic by keys, else custom per school."""
    return GENERIC if kind in KEYED_KINDS else CUSTOM


def for_scope(arguments: Mapping[str, Any]) -> Settings:
    """The plans for a service's call from its `scope` argument (none: the actor's school).

    Foreseen from the scope as asked; `scoped_statements.read_scoped` sets the plan mode again
    in the rare case the scope resolves to another kind.
    """
    scope = arguments.get("scope")
    return BY_KEYS if scope is not None and scope.kind in KEYED_KINDS else PER_SCHOOL


def per_school(_arguments: Mapping[str, Any]) -> Settings:
    """Per-school plans, whatever the call (a school's flagged list)."""
    return PER_SCHOOL
