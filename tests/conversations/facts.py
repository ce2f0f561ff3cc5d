"""The `#db` facts a transcript may assert, each checked with plain SQL on the test's database."""

from __future__ import annotations

import re

import asyncpg

_QUOTED = r"[\"“”']([^\"“”']*)[\"“”']"
_NO_USER_ROW = re.compile(rf"no USER row (is|contains) {_QUOTED}$", re.IGNORECASE)
_USER_ROWS = re.compile(r"(\d+) USER rows?$", re.IGNORECASE)
_ANALYSIS = re.compile(
    r"analysis of (.+?) is (IN_PROGRESS|COMPLETED|FAILED)(?: \((\w+)\))?$", re.IGNORECASE
)
_ANALYSES = re.compile(r"(\d+) analys[ie]s of (.+)$", re.IGNORECASE)
_SQL = re.compile(r"sql (.+?) => (.*)$", re.IGNORECASE)

_STUDENT = "(s.first_name || ' ' || s.last_name = $1 OR s.first_name = $1)"
_LATEST = f"""
    SELECT a.id, a.status::text AS status, a.private_notes
    FROM analyses a JOIN students s ON s.id = a.student_id
    WHERE {_STUDENT} ORDER BY a.created_at DESC LIMIT 1
"""
# The reason of the latest status change is kept in the audit row's metadata (core/analyses).
_REASON = """
    SELECT metadata->>'reason' FROM audit_logs
    WHERE resource = 'Analysis' AND resource_id = $1 AND metadata ? 'reason'
    ORDER BY created_at DESC LIMIT 1
"""

FORMS = (
    'no USER row is "TEXT"  ·  no USER row contains "TEXT"  (answers stored in interviews)',
    "N USER rows  (answers stored, all analyses)",
    "analysis of NAME is STATUS [(reason)]  (the student's newest analysis)",
    "N analyses of NAME",
    "sql SELECT ... => VALUE  (first column of the first row, as text; '' for no row / NULL)",
)


async def check_fact(raw: asyncpg.Connection, fact: str) -> str | None:
    """None when `fact` holds, else what the database holds instead."""
    if match := _NO_USER_ROW.match(fact):
        how, text = match.group(1).lower(), match.group(2)
        condition = (
            "lower(content) = lower($1)" if how == "is" else "content ILIKE '%' || $1 || '%'"
        )
        rows = await raw.fetch(
            f"SELECT content FROM analysis_conversations WHERE role = 'USER' AND {condition}", text
        )
        return f"found {[r['content'] for r in rows]}" if rows else None
    if match := _USER_ROWS.match(fact):
        count = await raw.fetchval(
            "SELECT count(*) FROM analysis_conversations WHERE role = 'USER'"
        )
        return None if count == int(match.group(1)) else f"there are {count}"
    if match := _ANALYSIS.match(fact):
        name, status, reason = match.groups()
        row = await raw.fetchrow(_LATEST, name)
        if row is None:
            return f"no analysis of {name}"
        if row["status"] != status.upper():
            return f"it is {row['status']}"
        if reason:
            found = await raw.fetchval(_REASON, str(row["id"]))
            if found != reason:
                return f"its reason is {found!r}"
        return None
    if match := _ANALYSES.match(fact):
        count = await raw.fetchval(
            f"SELECT count(*) FROM analyses a JOIN students s ON s.id = a.student_id "
            f"WHERE {_STUDENT}",
            match.group(2),
        )
        return None if count == int(match.group(1)) else f"there are {count}"
    if match := _SQL.match(fact):
        value = await raw.fetchval(match.group(1))
        found = "" if value is None else str(value)
        return None if found == match.group(2).strip() else f"it is {found!r}"
    raise ValueError(f"unknown #db fact {fact!r}; the forms are:\n" + "\n".join(FORMS))
