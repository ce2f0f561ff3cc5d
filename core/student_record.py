"""The full record's document: the columns it reads, the audit rows naming the student, and
their JSON and CSV form.

core/services/records.py reads the rows (everything stored about the student, soft-deleted rows
and private notes included, and the disclosure log) and writes them with these.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, literal_column, or_
from sqlalchemy.dialects.postgresql import JSONB

from core.models import AuditLog, Class, User
from core.views import StudentView

FORMAT = "growth-engine/student-record@1"
# The literal key (not a bind parameter) so the planner matches the expression index.
STUDENT_IDS: ColumnClause[Any] = literal_column("(audit_logs.metadata -> 'studentIds')")
STUDENT_FIELDS = (
    "id first_name last_name student_id grade_level date_of_birth gender notes "
    "enrollment_date is_active created_at updated_at deleted_at"
)
CLASS_FIELDS = "id name subject grade_level section academic_year deleted_at"
ANALYSIS_FIELDS = (
    "id status failure_reason created_at updated_at deleted_at results teacher_edits "
    "flagged_for_review session_duration total_tokens estimated_cost"
)
TURN_FIELDS = "sequence_number role content tokens created_at"
# (CSV header, key in the JSON entry): the disclosure log for people, not programs.
CSV_COLUMNS = (
    ("time_utc", "at"),
    ("user_email", "userEmail"),
    ("user_role", "userRole"),
    ("action", "action"),
    ("resource", "resource"),
    ("resource_id", "resourceId"),
    ("channel", "channel"),
    ("changed_fields", "changedFields"),
    ("operation", "operation"),
    ("outcome", "outcome"),
    ("audit_id", "id"),
)


@dataclass(frozen=True)
class StudentRecord:
    """A student's full record: the JSON document and the disclosure log as CSV."""

    student: StudentView
    document: dict[str, Any]
    analyses: int
    disclosures: int

    @property
    def basename(self) -> str:
        """File name stem shared by both files (the id: names may be redacted or Hebrew)."""
        return f"student-record-{self.student.id}"

    def json_bytes(self) -> bytes:
        """The whole record as UTF-8 JSON."""
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode("utf-8")

    def csv_bytes(self) -> bytes:
        """The disclosure log, oldest first, as CSV (BOM, so Excel reads the Hebrew right)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header for header, _ in CSV_COLUMNS])
        for entry in self.document["disclosureLog"]:
            writer.writerow([_cell(entry.get(key)) for _, key in CSV_COLUMNS])
        return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("platform", ""))
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def names_student(student_id: uuid.UUID) -> ColumnElement[bool]:
    """Audit rows about the student, or listing the student among `studentIds`."""
    sid = str(student_id)
    return or_(AuditLog.resource_id == sid, STUDENT_IDS.bool_op("?")(sid))


@functools.cache
def field_keys(names: str) -> tuple[tuple[str, str], ...]:
    """Each of the space-separated column names with its camelCase key, worked out once."""
    pairs = []
    for name in names.split():
        head, *rest = name.split("_")
        pairs.append((name, head + "".join(part.title() for part in rest)))
    return tuple(pairs)


def jsonable(value: Any) -> Any:
    """`value` as JSON holds it: datetimes in ISO 8601, UUIDs as strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def fields(row: Any, names: str) -> dict[str, Any]:
    """The named columns of a row (or keys of a dict), camelCase keys, JSON-ready values."""
    # A record of a Year-3 student writes about 170 rows this way: the keys are worked out
    # once per process, not once per row.
    get = row.get if isinstance(row, dict) else lambda n: getattr(row, n)
    return {key: jsonable(get(name)) for name, key in field_keys(names)}


def person(row: Any, prefix: str = "") -> dict[str, Any]:
    """A user as the record names them: id, email, role and name (columns `prefix`+name)."""
    get = {n: getattr(row, prefix + n) for n in ("id", "email", "role", "first_name", "last_name")}
    return {**fields(get, "id email role"), "name": f"{get['first_name']} {get['last_name']}"}


# The record reads rows as tuples (Core selects), not ORM objects: loading each audit row,
# analysis and turn as a tracked object cost most of the export's time (Year 3: ~88 of 130 ms).
_PERSON = ("id", "email", "role", "first_name", "last_name")
TEACHER_COLUMNS = [getattr(User.__table__.c, n).label(f"teacher_{n}") for n in _PERSON]
CLASS_COLUMNS = [getattr(Class.__table__.c, n).label(f"class_{n}") for n in CLASS_FIELDS.split()]
# Of an audit row's metadata only what the log shows (AuditEntry.of): a school's export names
# every student of the school, so each such row's whole metadata is ~30 kB of ids, and a
# Year-3 student's log read and decoded them all (~300 ms for a log of 1,200 rows).
# The lists are cut out in one step (`metadata - keys`): building the shown object key by key
# detoasted the ~30 kB value once per key, nine times per row (Year 3: a record of 1,500 log
# rows spent most of its 130 ms there). AuditEntry.of keeps only the shown keys of the rest.
_ID_LISTS: ColumnClause[Any] = literal_column("ARRAY['studentIds', 'analysisIds']::text[]")
_SHOWN = AuditLog.__table__.c.metadata.op("-", return_type=JSONB)(_ID_LISTS)
AUDIT_COLUMNS = [
    _SHOWN.label("metadata_") if c.name == "metadata" else c for c in AuditLog.__table__.c
]
